"""Issue 8: hostile text from files, tokens and peers is shown, never obeyed, and never unmasks anything.

A .env, a token and a network peer (on 127.0.0.1) each carry terminal escapes, a known secret, a
token whose header is not spelt `eyJ`, and URL credentials; every CLI command must print them
escaped and masked. The process-level cases (encodings, closed stdout, a full disk) run lkdebug as
a subprocess, since they are about the process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lkdebug import cli
from lkdebug.core import envlint, redact
from lkdebug.core.model import Variable
from lkdebug.demo.ntp import NtpResponder

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[1]
KEY = "APIhostileKey01"
SECRET = "HOSTILE-secret-0123456789-abcdefghij-XYZ"
HEADER_ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;SGVsbG8=\x07\x1b[2J\x9b31m"  # what an HTTP header can carry (latin-1)
ESCAPES = HEADER_ESCAPES + "\u202e"
# Raw bytes a terminal would obey: ESC, BEL, CSI (C1) and a bidi override.
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def spaced_token(claims: dict, secret: str = SECRET) -> str:
    """A token livekit-server accepts whose header is `{ "alg": "HS256", "typ": "JWT" }` (base64 `eyAi...`)."""
    header = _segment(b'{ "alg": "HS256", "typ": "JWT" }')
    signing_input = f"{header}.{_segment(json.dumps(claims).encode())}"
    return f"{signing_input}.{_segment(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())}"


@pytest.fixture
def token() -> str:
    now = int(time.time())
    return spaced_token({"iss": KEY, "sub": "alice", "nbf": now, "exp": now + 3600, "name": f"[/x]{ESCAPES}",
                         "metadata": f"copied {SECRET} here", "lone": "\ud800",
                         "video": {"roomJoin": True, "room": "standup"}})


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / f"proj{ESCAPES}"
    folder.mkdir()
    (folder / ".env").write_text(
        f"LIVEKIT_URL=ws://admin:PASSWORD1@127.0.0.1:7880\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"
        f"LIVEKIT_ROOM_NAME=standup{ESCAPES}\nLIVEKIT_REDIS_PASSWORD=redis-pw-9876\nLIVEKIT_TURN_PASSWORD=turn-pw-5432\n"
        f"LIVEKIT_DB_URL=postgres://lk:db-pw-1234@db:5432/lk\nLIVEKIT_WEBHOOK_URL=https://hooks.example/x?k={SECRET}\n",
        encoding="utf-8", errors="surrogatepass")
    return folder


CLEAR = ("PASSWORD1", "redis-pw-9876", "turn-pw-5432", "db-pw-1234", SECRET)


def assert_safe(text: str, token: str | None = None, what: str = "") -> None:
    for raw in RAW:
        assert raw not in text, f"{what}: a raw {raw!r} reached the output"
    for clear in CLEAR:
        assert clear not in text, f"{what}: {clear!r} shown in clear"
    if token:
        assert token.rsplit(".", 1)[1] not in text, f"{what}: the token's signature leaked"
    assert redact.mask_token(text) == text, f"{what}: a signed token (the probe's?) is shown whole"


def run(capsys, argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1), (argv, code, err)
    return code, out + err


COMMANDS = [
    ["env"], ["env", "--json"], ["check", "--no-network"], ["check", "--no-network", "--json"],
    ["report"], ["report", "--format", "json"],
    ["token", "decode", "{token}"], ["token", "decode", "--json", "{token}"],
    ["token", "decode", "Authorization: Bearer {token}"], ["token", "decode", "https://meet.example/r?token={token}"],
    ["check", "--no-network", "--token", "{token}"], ["check", "--no-network", "--json", "--token", "{token}"],
    ["report", "--token", "{token}"], ["report", "--format", "json", "--token", "{token}"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_command_escapes_controls_and_masks_everything(project, token, capsys, argv):
    argv = [a.replace("{token}", token) for a in argv] + ["--dir", str(project)]
    _, out = run(capsys, argv)
    assert_safe(out, token, " ".join(argv[:3]))
    assert "\\x1b" in out or "\\u001b" in out  # shown, not dropped


def test_token_decode_shows_header_and_claims_but_scrubs_a_known_secret(project, token, capsys):
    _, out = run(capsys, ["token", "decode", token, "--dir", str(project)])
    assert '{"alg": "HS256", "typ": "JWT"}' in out and "alice" in out
    assert f"copied {redact.mask_secret(SECRET)} here"[:40] in out
    # The lone surrogate is not fatal: it reads as U+FFFD, as Go's encoding/json (the server) reads it.
    assert "\ufffd" in out
    _, out = run(capsys, ["token", "decode", "--json", token, "--dir", str(project)])
    doc = json.loads(out)  # whole JSON, however hostile the claims
    assert doc["claims"]["lone"] == "\ufffd" and doc["claims"]["name"] == f"[/x]{ESCAPES}"
    assert doc["token"].endswith("." + redact.SIGNATURE_HIDDEN) and doc["signature"]["status"] == "valid"


def test_env_names_control_characters_and_masks_credentials_by_name_and_url(project, capsys):
    _, out = run(capsys, ["env", "--dir", str(project)])
    assert "[env.control_chars]" in out and "LIVEKIT_ROOM_NAME holds control characters" in out
    assert "ws://admin:***@127.0.0.1:7880" in out and "postgres://lk:***@db:5432/lk" in out
    assert f"proj{redact.visible(ESCAPES)}" in out  # the folder in the header, escaped


def test_the_control_chars_finding_names_them_without_the_value():
    findings = envlint.lint_variable(Variable("LIVEKIT_ROOM", f"a{ESCAPES}b", ".env", line=3))
    found = [f for f in findings if f.code == "env.control_chars"]
    assert len(found) == 1 and found[0].severity.value == "warning"
    assert "\\x1b" in found[0].title and "pwned" not in found[0].title + found[0].detail
    assert not [f for f in envlint.lint_variable(Variable("LIVEKIT_ROOM", "a\tb", ".env")) if f.code == "env.control_chars"]


# ---- a hostile peer: a redirect carrying the token, escapes in its headers and body ------------------


class _HostilePeer(BaseHTTPRequestHandler):
    """Answers `GET /` as a LiveKit node would, then every request with a token with a 302 whose Location
    carries the request's own query (the probe token), with escapes in its headers and body."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        query = self.path.partition("?")[2]
        if not query:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")
            return
        body = f"[/x] {ESCAPES} echo: {query}".encode("utf-8", "surrogatepass")
        self.send_response(302)
        self.send_header("Location", f"http://admin:PASSWORD1@peer.example/cb?{query}&note={HEADER_ESCAPES}")
        self.send_header("Server", f"evil{HEADER_ESCAPES}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_peer():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostilePeer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize("with_token", [True, False], ids=["--token", "minted"])
def test_check_against_a_redirecting_peer_shows_neither_token_nor_escapes(project, token, hostile_peer, capsys,
                                                                          json_flag, with_token):
    with NtpResponder() as ntp:
        argv = ["check", "--url", hostile_peer, "--dir", str(project), "--timeout", "5",
                "--ntp-server", f"127.0.0.1:{ntp.address[1]}", *json_flag, *(["--token", token] if with_token else [])]
        code, out = run(capsys, argv)
    # the token the peer put in Location is named, not shown
    assert code == 1 and "redirecting to http://admin:***@peer.example/cb?access_token=<the token>&note=" in out
    assert_safe(out, token if with_token else None, "check against a hostile peer")


# ---- the process: encodings, closed stdout, a full disk ----------------------------------------------


def _lkdebug(argv: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lkdebug", *argv], env=env, cwd=REPO, timeout=60, **kwargs)


@pytest.fixture
def base_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "PYTHONIO", "LC_", "LANG"))}
    return {**env, "HOME": str(tmp_path), "NO_COLOR": "1"}


PROCESS_COMMANDS = [["env"], ["env", "--json"], ["check", "--no-network"], ["report"], ["report", "--format", "json"],
                    ["token", "decode", "{token}"], ["token", "decode", "--json", "{token}"]]


@pytest.mark.parametrize("encoding", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"},
                                      {"LC_ALL": "C", "PYTHONUTF8": "0"}], ids=["ascii", "latin-1", "C locale"])
@pytest.mark.parametrize("argv", PROCESS_COMMANDS, ids=" ".join)
def test_a_narrow_encoding_escapes_what_it_cannot_show(project, token, base_env, encoding, argv):
    argv = [a.replace("{token}", token) for a in argv] + ["--dir", str(project)]
    result = _lkdebug(argv, {**base_env, **encoding}, capture_output=True)
    assert result.returncode in (0, 1), result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr and result.stdout
    out = result.stdout.decode("latin-1")
    assert_safe(out, token, " ".join(argv[:3]))
    if "--json" in argv or "json" in argv:
        json.loads(result.stdout.decode("latin-1"))  # still one whole JSON document


@pytest.mark.parametrize("argv", [["env"], ["token", "decode", "--json", "{token}"], ["report"]], ids=" ".join)
def test_a_closed_stdout_is_one_line_not_a_traceback(project, token, base_env, argv):
    argv = [a.replace("{token}", token) for a in argv] + ["--dir", str(project)]
    result = _lkdebug(argv, base_env, stdout=None, stderr=subprocess.PIPE, text=True,
                      preexec_fn=lambda: os.close(1))
    assert result.returncode == 2 and "stdout is closed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["env"], ["env", "--json"], ["check", "--no-network"], ["report"],
                                  ["token", "decode", "{token}"]], ids=" ".join)
def test_a_full_disk_is_one_line_not_a_traceback(project, token, base_env, argv):
    argv = [a.replace("{token}", token) for a in argv] + ["--dir", str(project)]
    with open("/dev/full", "w") as full:
        result = _lkdebug(argv, base_env, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "lkdebug: cannot write the output to stdout: No space left on device"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["env", "--help"], ["token", "create", "--help"]], ids=" ".join)
def test_help_and_version_on_a_full_disk_are_one_line_not_a_silent_success(base_env, argv, unbuffered):
    # argparse drops a failed write; buffered, the failure only shows at the interpreter's last flush.
    with open("/dev/full", "w") as full:
        result = _lkdebug(argv, {**base_env, "PYTHONUNBUFFERED": unbuffered}, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "lkdebug: cannot write the output to stdout: No space left on device"


def test_a_report_written_to_a_file_needs_no_stdout(project, base_env, tmp_path):
    output = tmp_path / "report.md"
    result = _lkdebug(["report", "--dir", str(project), "--output", str(output)], base_env, stdout=None,
                      stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    assert result.returncode in (0, 1) and "report written to" in result.stderr and output.exists()
    assert_safe(output.read_text(encoding="utf-8"), None, "report --output")
