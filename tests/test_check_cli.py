"""`lkdebug check` end to end: in-process through cli.main (fast), and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lkdebug import cli
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, refused_port, run_in_thread

pytestmark = pytest.mark.timeout(60)

WRONG_SECRET = "Zq7PwL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jM"


@pytest.fixture
def ntp_flag():
    with NtpResponder() as responder:
        yield ["--ntp-server", f"127.0.0.1:{responder.address[1]}"]


@pytest.fixture
def project(tmp_path):
    def write(key=DEMO_API_KEY, secret=DEMO_API_SECRET):
        (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={key}\nLIVEKIT_API_SECRET={secret}\n")
        return ["--dir", str(tmp_path)]
    return write


@pytest.fixture
def stand_in():
    servers = []

    def start(**config):
        server = run_in_thread(StandInConfig(**config))
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


def check(*args):
    return cli.main(["check", *args])


def test_matching_keys_every_probe_passes(stand_in, project, ntp_flag, capsys):
    server = stand_in()
    assert check("--url", server.url, *project(), *ntp_flag, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["target"] == {"url": server.url}
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert statuses.pop("tls") == "skip"
    for name in ("join", "turn", "media_join", "host"):  # the stand-in offers no TURN by default (tests/test_join.py)
        statuses.pop(name)
    assert set(statuses.values()) == {"pass"}, doc["checks"]
    assert set(doc["checks"][0]) == {"name", "status", "duration_ms", "detail"}
    assert not [f for f in doc["findings"] if f["severity"] == "error"]


def test_wrong_secret_shows_signature_is_invalid(stand_in, project, ntp_flag, capsys):
    server = stand_in()
    assert check("--url", server.url, *project(secret=WRONG_SECRET), *ntp_flag) == 1
    out = capsys.readouterr().out
    assert "signature is invalid" in out
    assert "[server.signature_mismatch]" in out
    assert WRONG_SECRET not in out
    # Most likely root cause first: the server's verdict heads the findings.
    findings_part = out.split("\n\n")[1]
    assert findings_part.splitlines()[0].endswith("[server.signature_mismatch]")


def test_unknown_key_shows_invalid_api_key(stand_in, project, ntp_flag, capsys):
    server = stand_in()
    assert check("--url", server.url, *project(key="APIunknown1234"), *ntp_flag) == 1
    out = capsys.readouterr().out
    assert "invalid API key: APIunknown1234" in out and "[server.key_unknown]" in out


def test_server_clock_ahead(stand_in, project, ntp_flag, capsys):
    server = stand_in(clock_offset=120)
    assert check("--url", server.url, *project(), *ntp_flag, "--json") == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert "clock.skew_server" in [f["code"] for f in findings]


def test_silent_server_with_timeout_2(stand_in, project, ntp_flag, capsys):
    server = stand_in(fault="silent")
    assert check("--url", server.url, *project(), *ntp_flag, "--timeout", "2", "--json") == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert "net.timeout" in [f["code"] for f in findings]
    # --timeout reached the probes; how long the run takes is benchmarks/bench_check.py's business.
    assert any("within 2 s" in f["detail"] for f in findings if f["code"] == "net.timeout")


def test_no_network_needs_no_url(project, capsys):
    # The env lint's `env.missing` (an error) is the only finding: nothing crashes, nothing is probed.
    assert check(*project(), "--no-network") == 1
    out = capsys.readouterr().out
    assert "(no LiveKit URL)" in out and "Network probes not run" in out
    assert "[env.missing]" in out and "[net." not in out


def test_no_network_still_reads_the_url_and_the_token(project, capsys):
    assert check(*project(), "--no-network", "--url", "livekit.example.com", "--token", "not-a-jwt", "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    codes = [f["code"] for f in doc["findings"]]
    # The missing scheme is said once, by the env lint of the same URL (issue 11: one URL model).
    assert codes.count("env.url_scheme") == 1 and "net.url_no_scheme" not in codes
    assert any(code.startswith("token.") for code in codes)


def test_no_url_is_said(project, ntp_flag, capsys):
    check(*project(), *ntp_flag, "--timeout", "1")
    out = capsys.readouterr().out
    assert out.count("No LiveKit URL found") == 1  # the env lint's finding, not repeated by the probes


@pytest.mark.parametrize("args", [["--timeout", "0"], ["--ntp-server", "host:notaport"]])
def test_bad_options_are_usage_errors(project, args, capsys):
    assert check(*project(), "--no-network", *args) == cli.ExitCode.USAGE
    assert capsys.readouterr().err.count("\n") == 1


def test_refused_port_in_the_table(project, ntp_flag, capsys):
    assert check("--url", f"http://127.0.0.1:{refused_port()}", *project(), *ntp_flag) == 1
    out = capsys.readouterr().out
    assert "[net.refused]" in out
    assert "needs tcp, which failed" in out


def test_subprocess_run(tmp_path):
    with NtpResponder() as responder:
        server = run_in_thread()
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
            env.update(LIVEKIT_API_KEY=DEMO_API_KEY, LIVEKIT_API_SECRET=DEMO_API_SECRET, NO_COLOR="1")
            result = subprocess.run(
                [sys.executable, "-m", "lkdebug", "check", "--dir", str(tmp_path), "--url", server.url,
                 "--ntp-server", f"127.0.0.1:{responder.address[1]}", "--timeout", "5"],
                capture_output=True, text=True, timeout=60, env=env,
            )
        finally:
            server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ validate" in result.stdout and "Traceback" not in result.stderr
    assert "\x1b[" not in result.stderr  # no progress line when stderr is not a terminal



def test_the_ice_password_file_is_capped(project, capsys):
    """--ice-password-file is read as --api-secret-file is: /dev/zero is refused after 64 KiB, not read for ever."""
    code = check(*project(), "--ice-server", "turn:127.0.0.1:3478", "--ice-user", "u", "--ice-password-file", "/dev/zero",
                 "--no-network")
    err = capsys.readouterr().err
    assert code == cli.ExitCode.USAGE and "holds more than 64 KiB" in err and err.count("\n") == 1
