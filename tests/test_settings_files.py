"""No settings file can hang lkdebug or fill its memory (issue 8): FIFOs, devices, huge and deep files.

Each case runs the real CLI in a subprocess under a timeout, so a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lkdebug.core.settings_files import Skipped, read_secret_file

REPO = Path(__file__).resolve().parents[1]
SECRET = "pipe-secret-0123456789-abcdefghijklmnop"
HANG = 30  # seconds: far above what any of these takes, far below a stalled CI job


def lkdebug(*args: str, home: Path, stdin: bytes | None = None, shell: str | None = None, memory: int | None = None):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}, "HOME": str(home), "NO_COLOR": "1"}

    def limit() -> None:  # a runaway expansion ends in MemoryError, not in a swapping machine
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    argv = ["bash", "-c", shell] if shell else [sys.executable, "-m", "lkdebug", *args]
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=HANG, env=env, cwd=REPO,
                          preexec_fn=limit if memory else None)


def env_json(tmp_path: Path, *args: str, **kw) -> dict:
    result = lkdebug("env", "--json", "--dir", str(tmp_path), *args, home=tmp_path, **kw)
    assert result.returncode in (0, 1), result.stderr.decode()
    return json.loads(result.stdout)


def skipped(doc: dict) -> list[str]:
    return [f["title"] + " " + f["detail"] for f in doc["findings"] if f["code"] == "env.file_skipped"]


def test_discovered_fifos_devices_and_folders_are_skipped_with_a_finding(tmp_path):
    os.mkfifo(tmp_path / ".env")
    (tmp_path / ".env.local").symlink_to("/dev/zero")
    (tmp_path / ".env.development").mkdir()
    os.mkfifo(tmp_path / "livekit.toml")
    (tmp_path / ".livekit").mkdir()
    os.mkfifo(tmp_path / ".livekit" / "cli-config.yaml")
    (tmp_path / "livekit.yaml").write_text("keys:\n  APIkey: secret-0123456789-0123456789-0123\nkey_file: /dev/zero\n")
    doc = env_json(tmp_path)
    found = "\n".join(skipped(doc))
    assert ".env is a named pipe (FIFO)" in found
    assert ".env.local is a symlink to /dev/zero, which is a character device" in found
    assert ".env.development is a folder" in found
    assert "/dev/zero is a character device" in found
    assert "livekit.toml is a named pipe" in found and "cli-config.yaml is a named pipe" in found
    sources = {s["path"]: s for s in doc["sources"]}
    assert sources[str(tmp_path / ".env")]["loaded"] is False
    assert sources[str(tmp_path / ".env")]["error"].startswith("skipped: is a named pipe")


def test_a_livekit_yaml_fifo_is_skipped(tmp_path):
    os.mkfifo(tmp_path / "livekit.yaml")
    assert any("livekit.yaml is a named pipe" in s for s in skipped(env_json(tmp_path)))


def test_a_file_over_1_mib_is_skipped_and_says_the_cap(tmp_path):
    (tmp_path / ".env").write_bytes(b"LIVEKIT_URL=wss://x.example.net\n" + b"#" * (1 << 20))
    (tmp_path / "livekit.yaml").write_bytes(b"keys:\n" + b"  # padding\n" * 200_000)
    found = skipped(env_json(tmp_path))
    assert len(found) == 2 and all("lkdebug reads at most 1 MiB of a settings file" in s for s in found)


@pytest.mark.parametrize("flag", ["--env-file", "--config"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "missing", "huge"])
def test_bad_files_given_by_flag_are_one_line_usage_errors(tmp_path, flag, kind):
    path = tmp_path / "given"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "huge":
        path.write_bytes(b"#" * ((1 << 20) + 1))
    result = lkdebug("env", "--dir", str(tmp_path), flag, str(path), home=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"lkdebug: {flag} {path}: ")


def test_a_dir_with_a_name_over_255_bytes_is_a_usage_error(tmp_path):
    result = lkdebug("env", "--dir", str(tmp_path / ("a" * 300)), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip().endswith("file name too long")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unreadable_dir_is_a_usage_error(tmp_path):
    folder = tmp_path / "closed"
    folder.mkdir(mode=0)
    result = lkdebug("env", "--dir", str(folder), home=tmp_path)
    assert result.returncode == 2 and "permission denied" in result.stderr.decode()


def test_a_livekit_toml_nested_100k_deep_is_a_finding(tmp_path):
    (tmp_path / "livekit.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    doc = env_json(tmp_path)
    invalid = [f for f in doc["findings"] if f["code"] == "env.config_invalid"]
    assert invalid and "nested too deeply" in invalid[0]["detail"]


def test_a_deep_livekit_yaml_is_a_finding(tmp_path):
    (tmp_path / "livekit.yaml").write_text("keys: " + "[" * 200_000 + "\n")
    doc = env_json(tmp_path)
    assert any(f["code"] == "env.config_invalid" for f in doc["findings"])


# ---- --api-secret-file: a pipe is the usual way to pass a secret without writing it to disk -------


def secret_of(result) -> dict:
    assert result.returncode in (0, 1), result.stderr.decode()
    return json.loads(result.stdout)["settings"]


def test_secret_file_from_process_substitution(tmp_path):
    shell = (f"{sys.executable} -m lkdebug env --json --dir {tmp_path} --reveal "
             f"--api-secret-file <(echo {SECRET})")
    settings = secret_of(lkdebug(home=tmp_path, shell=shell))
    assert settings["api_secret"]["value"] == SECRET  # one trailing newline stripped
    assert settings["from"]["api_secret"].startswith("--api-secret-file /dev/fd/")


def test_secret_file_from_dev_stdin(tmp_path):
    result = lkdebug("env", "--json", "--dir", str(tmp_path), "--reveal", "--api-secret-file", "/dev/stdin",
                     home=tmp_path, stdin=f"{SECRET}\n".encode())
    assert secret_of(result)["api_secret"]["value"] == SECRET


def test_secret_file_from_a_fifo_written_after_lkdebug_starts(tmp_path):
    fifo = tmp_path / "secret.fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "lkdebug", "env", "--json", "--reveal", "--dir", str(tmp_path),
                                "--api-secret-file", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=REPO, env={**os.environ, "HOME": str(tmp_path)})
    writer = threading.Thread(target=lambda: fifo.write_text(SECRET + "\n"), daemon=True)  # blocks until lkdebug opens it
    writer.start()
    out, err = process.communicate(timeout=HANG)
    writer.join(timeout=HANG)
    assert process.returncode in (0, 1), err.decode()
    assert json.loads(out)["settings"]["api_secret"]["value"] == SECRET


def test_secret_file_that_never_ends_or_never_closes_is_refused(tmp_path):
    result = lkdebug("env", "--dir", str(tmp_path), "--api-secret-file", "/dev/zero", home=tmp_path)
    assert result.returncode == 2 and "holds more than 64 KiB" in result.stderr.decode()
    fifo = tmp_path / "nobody-writes"
    os.mkfifo(fifo)
    with pytest.raises(Skipped, match="not closed by its writer within 0.2 s"):
        read_secret_file(fifo, timeout=0.2)


def test_secret_file_missing_is_one_line(tmp_path):
    result = lkdebug("env", "--dir", str(tmp_path), "--api-secret-file", str(tmp_path / "nope"), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"lkdebug: --api-secret-file {tmp_path / 'nope'}: no such file"


# ---- dotenv at scale -------------------------------------------------------------------------------


def test_a_value_with_a_huge_run_of_blanks_parses(tmp_path):
    # python-dotenv's own parser takes minutes on this (its inline-comment regex is quadratic in blanks).
    (tmp_path / ".env").write_text("LIVEKIT_URL=wss://x.example.net" + " " * 500_000 + "tail # comment\n")
    doc = env_json(tmp_path, "--reveal")
    url = next(v for v in doc["variables"] if v["name"] == "LIVEKIT_URL")
    assert url["value"] == "wss://x.example.net" + " " * 500_000 + "tail"


def test_nested_expansion_is_capped_with_a_finding(tmp_path):
    # 442 bytes of these reached 3.1 GB; the subprocess gets 1.5 GB of address space to prove it stays small.
    lines = ["B0=xxxxxxxxxxxxxxxx"] + [f"B{i}=${{B{i - 1}}}${{B{i - 1}}}" for i in range(1, 40)]
    (tmp_path / ".env").write_text("\n".join(lines) + "\nLIVEKIT_URL=wss://${B39}.example.net\n")
    doc = env_json(tmp_path, "--reveal", memory=1536 << 20)
    capped = [f for f in doc["findings"] if f["code"] == "env.expansion_capped"]
    assert capped and "B13 (line 14)" in capped[0]["detail"] and "64 KiB" in capped[0]["detail"]
    assert all(v["length"] <= 64 << 10 for v in doc["variables"])
