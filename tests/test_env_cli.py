"""`lkdebug env` end to end: text, JSON, exit codes, masking, and no heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lkdebug import cli

KEY = "APIfakeKEY12345"
SECRET = "fake-secret-0123456789-abcdefghijklmnop"
GOOD = f"LIVEKIT_URL=wss://demo.example.net\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"
REPO = Path(__file__).resolve().parents[1]


def run_env(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["env", *args])
    return code, capsys.readouterr().out


def test_text_output_has_every_part_and_no_secret(tmp_path, capsys):
    (tmp_path / ".env.local").write_text(GOOD)
    (tmp_path / ".env").write_text("LIVEKIT_URL=ws://localhost:7880\n")
    code, out = run_env(capsys, "--dir", str(tmp_path))
    assert code == 0, out
    for part in ("Sources", "Variables", "Settings", "Findings", "mode: development", ".env.local:1",
                 "overridden by .env.local", "env.conflict"):
        assert part in out, part
    assert SECRET not in out and KEY not in out and "APIfak…" in out


def test_reveal_shows_the_secret(tmp_path, capsys):
    (tmp_path / ".env").write_text(GOOD)
    _, out = run_env(capsys, "--dir", str(tmp_path), "--reveal")
    assert SECRET in out


def test_json_shape_and_exit_code_on_error(tmp_path, capsys):
    (tmp_path / ".env").write_text(GOOD.replace(SECRET, "your_api_secret_here"))
    code, out = run_env(capsys, "--dir", str(tmp_path), "--json")
    doc = json.loads(out)
    assert code == 1
    assert set(doc) >= {"sources", "variables", "settings", "findings"}
    assert set(doc["settings"]) >= {"url", "api_key", "api_secret"}
    assert set(doc["settings"]["api_secret"]) == {"length", "fingerprint"}
    assert any(f["code"] == "env.placeholder" and f["severity"] == "error" for f in doc["findings"])
    assert "your_api_secret_here" not in out


def test_env_file_and_config_options(tmp_path, capsys):
    extra = tmp_path / "staging.env"
    extra.write_text(GOOD)
    conf = tmp_path / "server.yaml"
    conf.write_text(f"keys:\n  {KEY}: another-fake-secret-0123456789-abcdefgh\n")
    code, out = run_env(capsys, "--dir", str(tmp_path), "--env-file", str(extra), "--config", str(conf), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["settings"]["from"]["api_key"] == str(extra)
    assert [f["code"] for f in doc["findings"]].count("env.server_key_mismatch") == 1


def test_nothing_found_is_still_useful(tmp_path, capsys):
    code, out = run_env(capsys, "--dir", str(tmp_path))
    assert code == 1
    assert "No LiveKit settings found" in out and "lkdebug demo" in out and str(tmp_path / ".env.local") in out


def test_missing_env_file_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["env", "--dir", str(tmp_path), "--env-file", str(tmp_path / "nope")]) == cli.ExitCode.USAGE


def test_env_imports_neither_textual_nor_livekit(tmp_path):
    (tmp_path / ".env").write_text(GOOD)
    code = (
        "import sys, lkdebug.cli;"
        f"rc = lkdebug.cli.main(['env', '--dir', {str(tmp_path)!r}, '--json']);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'livekit')];"
        "assert not bad, bad; sys.exit(rc)"
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["settings"]["url"] == "wss://demo.example.net"


def test_env_example_lists_obviously_fake_values_that_lint_as_placeholders(tmp_path):
    from lkdebug.core.sources import load_settings

    text = (REPO / ".env.example").read_text()
    names = [line.split("=", 1)[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"} <= set(names)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"{line.split('=')[0]} has no comment"
    (tmp_path / ".env").write_text(text)
    s = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    placeholders = {f.title.split()[0] for f in s.findings if f.code == "env.placeholder"}
    assert {"LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_URL"} <= placeholders
