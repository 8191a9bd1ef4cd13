"""`lkdebug webhook verify` on requests signed by livekit-api's and the Node SDK's own code paths."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import shutil
import subprocess

import pytest

from lkdebug.cli import main
from lkdebug.core.model import KnownKey
from lkdebug.core.webhook import verify

KEY, SECRET = "APIwebhookKey01", "webhook-secret-0123456789abcdefghijkl"
OTHER_SECRET = "another-secret-0123456789abcdefghijklm"
# The compact protojson livekit-server posts.
BODY = (b'{"event":"room_started","room":{"sid":"RM_abc","name":"standup","emptyTimeout":300,'
        b'"creationTime":"1768478400"},"id":"EV_x1","createdAt":"1768478400"}')


def sha(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def python_signed(body: bytes, secret: str = SECRET, ttl: datetime.timedelta = datetime.timedelta(minutes=5)) -> str:
    """livekit-api's AccessToken with sha256, the way a Python server signs a webhook."""
    from livekit import api

    return api.AccessToken(KEY, secret).with_sha256(sha(body)).with_ttl(ttl).to_jwt()


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    return tmp_path


def run(capsys, project, body: bytes, authorization: str, *more):
    path = project / "body.json"
    path.write_bytes(body)
    code = main(["webhook", "verify", "--dir", str(project), "--body", str(path), "--authorization", authorization,
                 "--json", *more])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def sdk_words(result: dict, sdk: str) -> list:
    return [r["raises"] for r in result["sdk"][sdk]]


def test_valid(project, capsys):
    code, result = run(capsys, project, BODY, python_signed(BODY))
    assert code == 0 and result["valid"] and result["schema"] == "lkdebug/webhook-verify/1"
    assert result["signature"]["status"] == "valid" and result["body"]["matches"]
    assert sdk_words(result, "livekit-api") == [None] and sdk_words(result, "node") == [None]


def test_body_changed_by_one_byte(project, capsys):
    code, result = run(capsys, project, BODY.replace(b"300", b"301"), python_signed(BODY))
    assert code == 1 and not result["body"]["matches"] and result["signature"]["status"] == "valid"
    assert sdk_words(result, "livekit-api") == ["Exception: hash mismatch"]
    assert sdk_words(result, "node") == ["Error: sha256 checksum of body does not match"]
    assert "altered in transit" in " ".join(result["causes"])


@pytest.mark.parametrize("redump", [
    lambda obj: json.dumps(obj).encode(),  # Python's default separators
    lambda obj: json.dumps(obj, indent=2).encode(),  # pretty-printed
])
def test_reserialised_json_is_named(project, capsys, redump):
    code, result = run(capsys, project, redump(json.loads(BODY)), python_signed(BODY))
    assert code == 1 and "The JSON was re-serialised" in result["causes"][0]


def test_whitespace_is_named(project, capsys):
    code, result = run(capsys, project, BODY + b"\n", python_signed(BODY))
    assert code == 1 and "only in whitespace" in result["causes"][0]


def test_empty_body_names_the_content_type(project, capsys):
    code, result = run(capsys, project, b"{}", python_signed(BODY))
    assert code == 1 and "application/webhook+json" in result["causes"][0]


def test_wrong_key(project, capsys):
    code, result = run(capsys, project, BODY, python_signed(BODY, secret=OTHER_SECRET))
    assert code == 1 and result["signature"]["status"] == "invalid"
    assert sdk_words(result, "livekit-api") == ["InvalidSignatureError: Signature verification failed"]
    assert sdk_words(result, "node") == ["JWSSignatureVerificationFailed: signature verification failed"]
    assert any("webhook.api_key" in cause for cause in result["causes"])


def test_expired(project, capsys):
    code, result = run(capsys, project, BODY, python_signed(BODY, ttl=datetime.timedelta(minutes=-10)))
    assert code == 1 and "token.expired" in [f["code"] for f in result["findings"]]
    assert sdk_words(result, "livekit-api") == ["ExpiredSignatureError: Signature has expired"]
    assert sdk_words(result, "node") == ['JWTExpired: "exp" claim timestamp check failed']


def test_missing_header(project, capsys):
    code, result = run(capsys, project, BODY, "")
    assert code == 1 and "stripped" in result["causes"][0]
    assert sdk_words(result, "node") == ["Error: authorization header is empty"]


def test_usage_errors_and_text(project, capsys):
    assert main(["webhook", "verify", "--dir", str(project), "--body", str(project / "nope"),
                 "--authorization", "x"]) == 2
    assert "--body" in capsys.readouterr().err
    (project / "b").write_bytes(BODY)
    assert main(["webhook", "verify", "--dir", str(project), "--body", str(project / "b"),
                 "--authorization", python_signed(BODY)]) == 0
    out = capsys.readouterr().out
    assert "VALID" in out and "livekit-api WebhookReceiver.receive with APIweb… (from .env): accepts" in out
    assert SECRET not in out


def test_no_input_raises_out_of_the_core(now):
    for body, header in ((b"\xff\xfe", "eyJ.eyJ.x"), (b"", "Bearer "), (b"x" * 10, "not a token")):
        check = verify(body, header, known_keys=[KnownKey(KEY, SECRET, "test")], now=now)
        assert not check.valid and check.findings


@pytest.fixture(scope="module")
def node_sdk(tmp_path_factory):
    """livekit-server-sdk from npm in a temporary folder (never at import); skipped without node and npm."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    folder = tmp_path_factory.mktemp("node-sdk")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "livekit-server-sdk@2"],
                          cwd=folder, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"npm could not install livekit-server-sdk: {done.stderr.strip()[-200:]}")
    return folder


def node(folder, script: str, *args: str) -> str:
    done = subprocess.run(["node", "--input-type=module", "-e", script, *args], cwd=folder, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


NODE_SIGN = """
import { AccessToken } from 'livekit-server-sdk';
const [key, secret, sha, ttl] = process.argv.slice(1);
const at = new AccessToken(key, secret, { ttl });
at.sha256 = sha;
console.log(await at.toJwt());
"""
NODE_RECEIVE = """
import { WebhookReceiver } from 'livekit-server-sdk';
import { readFileSync } from 'node:fs';
const [key, secret, file, auth] = process.argv.slice(1);
try { await new WebhookReceiver(key, secret).receive(readFileSync(file, 'utf8'), auth); console.log('accepts'); }
catch (e) { console.log(`${e.name === 'Error' ? 'Error' : e.code ? e.constructor.name : e.name}: ${e.message}`); }
"""


@pytest.mark.parametrize("case", ["valid", "one-byte", "reserialised", "wrong-key", "expired", "missing-header"])
def test_node_signed_requests(node_sdk, project, capsys, case):
    secret = OTHER_SECRET if case == "wrong-key" else SECRET
    header = node(node_sdk, NODE_SIGN, KEY, secret, sha(BODY), "-10m" if case == "expired" else "5m")
    body = {"one-byte": BODY.replace(b"standup", b"standuq"),
            "reserialised": json.dumps(json.loads(BODY)).encode()}.get(case, BODY)
    if case == "missing-header":
        header = ""
    code, result = run(capsys, project, body, header)
    assert code == (0 if case == "valid" else 1)
    # What lkdebug predicts for the Node SDK is what the Node SDK itself says.
    (project / "sent.json").write_bytes(body)
    actual = node(node_sdk, NODE_RECEIVE, KEY, SECRET, str(project / "sent.json"), header)
    assert sdk_words(result, "node") == [None if actual == "accepts" else actual]


def test_a_body_past_the_cap_is_a_usage_error_not_a_read_for_ever(project, capsys):
    """`--body /dev/zero` never ends: lkdebug reads at most 1 MiB of a body and says so in one line."""
    for body in ("/dev/zero", str(project / "big.json")):
        (project / "big.json").write_bytes(b" " * ((1 << 20) + 1))
        assert main(["webhook", "verify", "--dir", str(project), "--body", body, "--authorization", "x"]) == 2
        err = capsys.readouterr().err
        assert "longer than 1 MiB" in err and err.count("\n") == 1
