"""`lkdebug token create` and `lkdebug token decode` end to end (in process, plus import hygiene in a subprocess)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

from lkdebug.core.mint import build_claims, mint
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET
from tests.in_process import run


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\nLIVEKIT_URL=ws://localhost:7880\n")
    return tmp_path


def test_create_prints_the_whole_token_and_says_where_the_key_came_from(project, capsys):
    code, out, err = run(capsys, "token", "create", "--dir", str(project), "--identity", "alice", "--room", "demo", "--join")
    assert code == 0
    token = out.strip()
    assert token.count(".") == 2 and "\n" not in token
    assert "APIdem…" in err and ".env" in err and "valid for 6h 0m" in err
    assert KEY not in err and SECRET not in err

    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), "--json", token)
    body = json.loads(out)
    assert code == 0 and body["signature"]["status"] == "valid" and body["verdict"]["status"] == 200
    assert token.rsplit(".", 1)[1] not in out  # no signature without --reveal


def test_create_json_and_flags(project, capsys):
    code, out, _ = run(
        capsys, "token", "create", "--dir", str(project), "--json", "--identity", "bob", "--room", "r", "--join",
        "--no-can-publish", "--allow-source", "camera", "--allow-source", "camera", "--hidden", "--kind", "agent",
        "--attribute", "a=1=2", "--metadata", "m", "--sip-call", "--valid-for", "10m", "--grant", '{"canSubscribe": false}')
    body = json.loads(out)
    assert set(body) == {"schema", "token", "header", "claims"} and body["schema"] == "lkdebug/token-create/1" and body["header"] == {"alg": "HS256", "typ": "JWT"}
    claims = body["claims"]
    assert claims["video"] == {"roomJoin": True, "room": "r", "canPublish": False, "canSubscribe": False,
                               "canPublishData": True, "canPublishSources": ["camera"], "hidden": True}
    assert claims["sip"] == {"admin": False, "call": True}
    assert claims["attributes"] == {"a": "1=2"} and claims["kind"] == "agent" and claims["exp"] - claims["nbf"] == 600
    # canPublishSources without canPublish is worth a warning, printed but not fatal
    assert code == 0


def test_create_join_token_without_identity_warns_and_exits_1(project, capsys):
    code, out, err = run(capsys, "token", "create", "--dir", str(project), "--room", "r", "--join")
    assert code == 1 and out.count(".") == 2
    assert "token.no_identity" in err and "identity cannot be empty" in err


@pytest.mark.parametrize("argv, message", [
    (["--grant", '{"roomName": "x"}'], "'roomName' is not a video grant (the room field is `room`)"),
    (["--grant", '{"canPublishSource": []}'], "did you mean 'canPublishSources'?"),
    (["--grant", '{"canPublish": "yes"}'], "canPublish must be true or false"),
    (["--grant", "{nope"], "--grant: not JSON"),
    (["--grant", "[1]"], "expected a JSON object"),
    (["--valid-for", "forever"], "--valid-for: 'forever' is not a duration"),
    (["--attribute", "novalue"], "--attribute 'novalue': use KEY=VALUE"),
    (["--kind", "robot"], "--kind 'robot': use one of standard"),
])
def test_create_usage_errors(project, capsys, argv, message):
    code, out, err = run(capsys, "token", "create", "--dir", str(project), *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_create_without_credentials_says_where_it_looked(tmp_path, capsys):
    code, out, err = run(capsys, "token", "create", "--dir", str(tmp_path), "--join")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "no API key and API secret found (looked in" in err and "LIVEKIT_API_KEY" in err and "--api-secret-file" in err


@pytest.mark.parametrize("wrap", ["Bearer {}", '{{"token": "{}"}}', "https://meet.livekit.io/custom?liveKitUrl=x&token={}"])
def test_decode_text_output(project, capsys, now, wrap):
    token = mint(build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                              now=__import__("time").time()), SECRET)
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), wrap.format(token))
    assert code == 0
    assert "Input      removed" in out and "video.roomJoin" in out and "Allows joining the room" in out
    assert "Signature  valid: matches the secret of APIdem… (from .env)" in out
    assert "Verdict    200 success" in out
    assert "valid for 5h 59m more" in out or "valid for 6h 0m more" in out
    assert token.rsplit(".", 1)[1] not in out


def test_decode_expired_exit_1_and_redacted_body(project, capsys, now):
    token = mint(build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "room": "r"}, now=now), SECRET)
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), token)
    assert code == 1
    assert "Verdict    401 invalid token: eyJ" in out and "<signature hidden>, error: token has invalid claims: token is expired" in out
    assert "go-jose/go-jose/jwt: validation failed, token is expired (exp)" in out
    assert token.rsplit(".", 1)[1] not in out
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), "--reveal", token)
    assert token in out


def test_decode_reads_stdin(project, capsys, monkeypatch):
    token = mint(build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "room": "r"},
                              now=__import__("time").time()), SECRET)
    stdin = io.TextIOWrapper(io.BytesIO(f"{token}\n".encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), "--json")
    assert code == 0 and json.loads(out)["claims"]["sub"] == "a"


def test_decode_reads_latin1_stdin_with_dash(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9")))
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), "--json", "-")
    assert code == 1 and json.loads(out)["findings"][-1]["code"] == "token.not_jwt"


def test_decode_without_token_on_a_tty_is_a_usage_error(project, capsys, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    code, out, err = run(capsys, "token", "decode", "--dir", str(project))
    assert code == 2 and "no token" in err and len(err.strip().splitlines()) == 1


def test_decode_api_key_pasted(project, capsys):
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), "--json", KEY)
    body = json.loads(out)
    assert code == 1 and body["findings"][-1]["code"] == "token.api_key_not_jwt"
    assert body["verdict"] == {"accepted": False, "status": 401, "message": "invalid authorization token",
                               "era": "v1.13", "era_label": "v1.13.0 to v1.13.5", "reason": "malformed", "assumes": None}


IMPORTS = textwrap.dedent("""
    import sys, contextlib, io
    from lkdebug.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(sys.argv[1:])
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'livekit', 'jwt', 'cryptography', 'aiohttp'})
    print(code, ','.join(heavy))
""")


def test_decode_imports_neither_textual_nor_livekit_nor_a_jwt_library(project):
    token = mint(build_claims(api_key=KEY, identity="a", now=0), SECRET)
    result = subprocess.run([sys.executable, "-c", IMPORTS, "token", "decode", "--dir", str(project), "--json", token],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1"]  # exit 1 (expired), no heavy module


def test_create_imports_neither_textual_nor_livekit(project):
    result = subprocess.run([sys.executable, "-c", IMPORTS, "token", "create", "--dir", str(project), "--identity", "a",
                             "--room", "r", "--join"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"]  # exit 0, no heavy module: core.mint signs with hmac, not PyJWT


def test_a_cut_short_signature_is_named_as_such_on_the_signature_line(project, capsys):
    """It once read 'does not match the secret of APIdem… (from None)' with no secret known at all."""
    token = mint(build_claims(api_key="APIotherKey1", identity="a", video={"roomJoin": True, "room": "r"}, now=0), SECRET)
    code, out, _ = run(capsys, "token", "decode", "--dir", str(project), token[:-12])
    line = next(line for line in out.splitlines() if line.startswith("Signature"))
    assert "cut short" in line and "None" not in line
    assert code == 1
