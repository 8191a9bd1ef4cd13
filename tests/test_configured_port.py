"""Issue 11 loose end: the URL is judged once, against the port the local livekit.yaml configures.

server_config had its own `env.url_port` ("the server config says port N") beside url.findings, so a
`port: 7881` server with LIVEKIT_URL on 7881 got "use 7880" from one and silence from the other, and a URL on
another port got two findings with two different fixes. Through `env --json` and `check --no-network --json`.
"""

from __future__ import annotations

import json

import pytest

from lkdebug import cli
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

pytestmark = pytest.mark.timeout(60)

KEYS = f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n"


def port_findings(capsys, tmp_path, url: str, yaml_port: int | None) -> list[list[dict]]:
    (tmp_path / ".env").write_text(f"LIVEKIT_URL={url}\n" + KEYS)
    if yaml_port is not None:
        (tmp_path / "livekit.yaml").write_text(f"port: {yaml_port}\nkeys:\n  {DEMO_API_KEY}: {DEMO_API_SECRET}\n")
    out = []
    for command in (["env"], ["check", "--no-network"]):
        cli.main([*command, "--dir", str(tmp_path), "--json"])
        doc = json.loads(capsys.readouterr().out)
        out.append([f for f in doc["findings"] if f["code"].endswith("url_port") or "port" in f["title"]])
    return out


def test_the_configured_port_is_the_right_one(tmp_path, capsys):
    for found in port_findings(capsys, tmp_path, "ws://127.0.0.1:7881", 7881):
        assert found == []


def test_another_port_gets_one_finding_naming_the_configured_one(tmp_path, capsys):
    for found in port_findings(capsys, tmp_path, "ws://127.0.0.1:7880", 7881):
        assert [(f["code"], f["fix"]) for f in found] == [("env.url_port", "Use ws://127.0.0.1:7881")], found
        assert "7881" in found[0]["title"]


def test_the_rtc_port_against_a_default_config_is_one_error(tmp_path, capsys):
    """`port: 7880` and a URL on 7881 got an error (url) and a warning (server config): now one error."""
    for found in port_findings(capsys, tmp_path, "ws://localhost:7881", 7880):
        assert [(f["code"], f["severity"], f["fix"]) for f in found] == [
            ("env.url_port", "error", "Use ws://localhost:7880")], found
        assert "WebRTC-over-TCP" in found[0]["detail"]


def test_tls_to_the_configured_port(tmp_path, capsys):
    for found in port_findings(capsys, tmp_path, "wss://127.0.0.1:7881", 7881):
        assert [(f["code"], f["fix"]) for f in found] == [("env.url_port", "Use ws://127.0.0.1:7881")], found


def test_without_a_server_config_the_default_ports_apply(tmp_path, capsys):
    for found in port_findings(capsys, tmp_path, "ws://127.0.0.1:7881", None):
        assert [(f["code"], f["severity"], f["fix"]) for f in found] == [
            ("env.url_port", "error", "Use ws://127.0.0.1:7880")], found


def test_a_remote_url_is_not_judged_by_the_local_config(tmp_path, capsys):
    for found in port_findings(capsys, tmp_path, "wss://lk.acme.io", 7881):
        assert found == []


def test_the_url_row_agrees_with_the_env_lint(tmp_path):
    """`check --url` on the configured port: the url check's row is a pass, not `1 problem(s)`."""
    from lkdebug.core.sources import load_settings
    from lkdebug.core.target import url_check

    (tmp_path / "livekit.yaml").write_text(f"port: 7881\nkeys:\n  {DEMO_API_KEY}: {DEMO_API_SECRET}\n")
    settings = load_settings(tmp_path, url="ws://127.0.0.1:7881", environ={}, home=tmp_path, system_configs=(),
                             container=False)
    assert settings.server_port == 7881
    assert [f for f in settings.findings if "url" in f.code or "port" in f.title] == []
    result, target = url_check("ws://127.0.0.1:7881", judged=True, server_port=settings.server_port)
    assert result.status.value == "pass" and target.port == 7881
