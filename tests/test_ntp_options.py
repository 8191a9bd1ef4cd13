"""An air-gapped host names its own NTP server: --ntp-server on check, report and tui, or LKDEBUG_NTP_SERVERS."""

from __future__ import annotations

import json

import pytest

from lkdebug import cli
from lkdebug.commands.common import ntp_servers
from lkdebug.demo.ntp import NtpResponder

pytestmark = pytest.mark.timeout(60)


def ntp_check(doc: dict) -> dict:
    return next(c for c in doc["connectivity"]["checks"] if c["name"] == "ntp")


def test_report_network_asks_the_given_ntp_server_within_the_given_timeout(tmp_path, capsys):
    with NtpResponder(offset=-42.0) as responder:
        code = cli.main(["report", "--dir", str(tmp_path), "--format", "json", "--network", "--timeout", "2",
                         "--ntp-server", f"127.0.0.1:{responder.address[1]}"])
    doc = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    check = ntp_check(doc)
    assert check["status"] == "pass" and f"127.0.0.1:{responder.address[1]}" in check["detail"]
    assert "42 s ahead" in check["detail"]


def test_the_environment_names_the_ntp_servers_for_every_command(tmp_path, capsys, monkeypatch):
    with NtpResponder(offset=-42.0) as a, NtpResponder(silent=True) as b:
        monkeypatch.setenv("LKDEBUG_NTP_SERVERS", f"127.0.0.1:{a.address[1]}, 127.0.0.1:{b.address[1]}")
        cli.main(["check", "--dir", str(tmp_path), "--json", "--timeout", "1"])
        assert a.requests == 1 and b.requests == 1
    check = next(c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"] == "ntp")
    assert "42 s ahead" in check["detail"]


def test_the_flag_replaces_the_environment_and_the_tui_takes_it(monkeypatch):
    monkeypatch.setenv("LKDEBUG_NTP_SERVERS", "ntp.internal:1123")
    parser = cli.build_parser()
    assert ntp_servers(parser.parse_args(["tui"])) == [("ntp.internal", 1123)]
    assert ntp_servers(parser.parse_args(["tui", "--ntp-server", "10.0.0.1"])) == [("10.0.0.1", 123)]
    monkeypatch.delenv("LKDEBUG_NTP_SERVERS")
    assert ntp_servers(parser.parse_args(["report"])) is None  # the public defaults


def test_a_bad_environment_value_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LKDEBUG_NTP_SERVERS", "host:notaport")
    assert cli.main(["report", "--dir", str(tmp_path), "--network"]) == 2
    assert capsys.readouterr().err.startswith("lkdebug: LKDEBUG_NTP_SERVERS 'host:notaport'")
