"""`core.mint` signs HS256 on the standard library: byte for byte PyJWT's `jwt.encode`, accepted by the SDKs.

PyJWT is the independent encoder here (a test extra; lkdebug never imports it), livekit-api's and the Node
SDK's TokenVerifier are the readers a LiveKit backend runs.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from lkdebug.core.grants import PARTICIPANT_KINDS, in_group
from lkdebug.core.mint import HEADER, build_claims, mint
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET
from tests.conftest import examples
from tests.in_process import run_json
from tests.test_webhook import node, node_sdk  # noqa: F401 (node_sdk is the fixture: npm's livekit-server-sdk)

# PyJWT warns about short secrets, as it encodes and as livekit-api verifies: lkdebug reports them itself.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
FAST = settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as people write it in identities and metadata: any code point but lone surrogates (which no .env,
# flag or form can hold as UTF-8), with line and paragraph separators and astral characters likely.
TEXT = st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from("\u2028\u2029\"\\/\x00\x7f😀é"),
               max_size=40)
_BY_TYPE = {"bool": st.booleans(), "tristate": st.booleans(), "str": TEXT, "int": st.integers(0, 2**31),
            "list[str]": st.lists(TEXT, max_size=3)}


def grant_group(group: str) -> st.SearchStrategy[dict]:
    """Some of a grant group's claims (the grant table's rows), each of its JSON type."""
    return st.fixed_dictionaries({}, optional={g.json_name: _BY_TYPE[g.type] for g in in_group(group)
                                               if g.type in _BY_TYPE})


# What `--grant JSON`, a test or a future claim can put beside the grants: any JSON, nested, with the
# values json.dumps writes its own way (a tuple as a list, NaN and Infinity bare, non-string keys as strings).
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
ANY_JSON = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                        | st.dictionaries(TEXT | st.integers(), inner, max_size=3), max_leaves=12)


def claims_of(extra: st.SearchStrategy[dict], now: st.SearchStrategy[float]) -> st.SearchStrategy[dict]:
    return st.builds(
        build_claims, api_key=TEXT.filter(bool), identity=st.none() | TEXT, name=st.none() | TEXT,
        video=st.none() | grant_group("video"), sip=st.none() | grant_group("sip"),
        kind=st.none() | st.sampled_from(PARTICIPANT_KINDS), metadata=st.none() | TEXT,
        attributes=st.none() | st.dictionaries(TEXT, TEXT, max_size=4), extra=extra,
        valid_for=st.integers(0, 10**7) | st.floats(0, 10**7), now=now,
    )


def pyjwt(claims: dict, secret: str) -> str:
    """What lkdebug wrote when it minted with PyJWT (mint's call before this module's change)."""
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


@FAST
@given(claims=claims_of(st.none() | st.dictionaries(TEXT, ANY_JSON, max_size=4),
                        st.integers(0, 2**40) | st.floats(0, 2**40)), secret=TEXT.filter(bool))
@example(claims={"metadata": "ä\u2028😀", "f": 0.1, "n": float("nan"), 7: (1, 2)}, secret="ß" * 3)
def test_the_token_is_pyjwts_byte_for_byte(claims, secret):
    try:
        expected = pyjwt(claims, secret)
    except jwt.InvalidKeyError:  # a secret shaped like a PEM or JWK key: see the Node test below
        reject()
    assert mint(claims, secret) == expected


def _segment(token: str, index: int) -> bytes:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.mark.parametrize("extra", range(3))
def test_every_part_is_unpadded_base64url_of_compact_ascii_json(extra):
    """Payloads of each length modulo 3 (so each padding case), and metadata that is not ASCII."""
    claims = build_claims(api_key=KEY, identity="ålice", metadata="x" * extra + "😀", now=1_700_000_000)
    token = mint(claims, SECRET)
    assert token == pyjwt(claims, SECRET)
    assert "=" not in token and len(token.split(".")[2]) == 43  # 32 bytes of HMAC-SHA256, unpadded
    assert _segment(token, 0) == b'{"alg":"HS256","typ":"JWT"}' and json.loads(_segment(token, 0)) == HEADER
    assert _segment(token, 1) == json.dumps(claims, separators=(",", ":")).encode("ascii")
    assert b"\\u00e5lice" in _segment(token, 1)


# PyJWT refuses these as HMAC keys (they look like an SSH and a JWK key); the server's HMAC takes any secret.
PYJWT_REFUSES = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ lkdebug-not-a-key",
                 '{"kty":"oct","k":"bGtkZWJ1Zy1ub3QtYS1rZXk"}')


@pytest.mark.parametrize("secret", PYJWT_REFUSES)
def test_token_create_signs_with_a_secret_pyjwt_refuses(tmp_path, capsys, secret):
    """With PyJWT, its InvalidKeyError ended `token create` (and the Builder) as an internal error."""
    with pytest.raises(jwt.InvalidKeyError):
        pyjwt({"sub": "a"}, secret)
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET='{secret}'\n")
    code, created = run_json(capsys, "token", "create", "--dir", str(tmp_path), "--json", "--identity", "a",
                             "--room", "r", "--join", "--now", "1700000000")
    assert code == 0 and created["header"] == HEADER
    code, decoded = run_json(capsys, "token", "decode", "--dir", str(tmp_path), "--json", "--now", "1700000001",
                             created["token"])
    assert code == 0 and decoded["signature"]["status"] == "valid"


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError, match="empty"):
        mint(build_claims(api_key=KEY, identity="a", now=0), "")


api = pytest.importorskip("livekit.api")


@FAST
@given(claims=claims_of(st.none(), st.just(0)), secret=TEXT.filter(bool))
def test_livekit_api_token_verifier_reads_back_what_was_minted(claims, secret):
    from livekit.api.access_token import camel_to_snake

    claims.update(nbf=int(time.time()), exp=int(time.time()) + 600)  # TokenVerifier checks against the real clock
    try:
        verified = api.TokenVerifier(claims["iss"], secret).verify(mint(claims, secret))
    except jwt.InvalidKeyError:  # PyJWT refuses to verify with a PEM- or JWK-shaped secret
        reject()
    assert (verified.identity, verified.name, verified.kind) == (claims["sub"], claims.get("name", ""),
                                                                 claims.get("kind", ""))
    assert (verified.metadata, verified.attributes) == (claims.get("metadata", ""), claims.get("attributes", {}))
    for group, read in (("video", verified.video), ("sip", verified.sip)):
        for name, value in claims.get(group, {}).items():
            if hasattr(read, camel_to_snake(name)):
                assert getattr(read, camel_to_snake(name)) == value, (group, name)


NODE_VERIFY = """
import { TokenVerifier } from 'livekit-server-sdk';
const [key, secret, tokens] = process.argv.slice(1);
const verifier = new TokenVerifier(key, secret);
console.log(JSON.stringify(await Promise.all(JSON.parse(tokens).map((token) => verifier.verify(token)))));
"""


@pytest.mark.parametrize("secret", [
    SECRET,
    "sécret-ünïcode-😀-0123456789abcdef",
    *PYJWT_REFUSES,
])
def test_the_node_sdk_token_verifier_reads_back_what_was_minted(node_sdk, secret):  # noqa: F811
    now = time.time()
    claims = [
        build_claims(api_key=KEY, identity="ålice\u2028", name="Zoë 😀", metadata='{"nested": "\\"quoted\\""}',
                     attributes={"rôle": "主持人"}, kind="agent", now=now,
                     video={"roomJoin": True, "room": "démo", "canPublishSources": ["camera", "microphone"]}),
        build_claims(api_key=KEY, identity="bot", sip={"admin": True}, now=now,
                     extra={"roomConfig": {"agents": [{"agentName": "a", "metadata": "m"}], "maxParticipants": 3},
                            "ratio": 0.1, "big": 2**53 - 1, "none": None}),
    ]
    tokens = [mint(one, secret) for one in claims]
    assert json.loads(node(node_sdk, NODE_VERIFY, KEY, secret, json.dumps(tokens))) == claims


def test_a_secret_that_was_not_utf8_signs_and_verifies_with_its_own_bytes(capsys, monkeypatch):
    # os.environ hands bytes that are not UTF-8 to Python as lone surrogates; the server reads the raw bytes.
    # Both commands ended as "internal error: UnicodeEncodeError" before.
    import hashlib
    import hmac

    from lkdebug.core.codec import b64url_decode
    from tests.in_process import run, run_json

    raw = b"abc\xffdef-0123456789abcdef0123456789"
    secret = raw.decode("utf-8", "surrogateescape")
    token = mint({"sub": "alice", "iss": "APIkey"}, secret)
    signing_input, _, signature = token.rpartition(".")
    assert b64url_decode(signature + "=" * (-len(signature) % 4)) == hmac.new(
        raw, signing_input.encode(), hashlib.sha256).digest()
    monkeypatch.setenv("LIVEKIT_API_KEY", "APIkey")
    monkeypatch.setenv("LIVEKIT_API_SECRET", secret)
    code, out, err = run(capsys, "token", "create", "--identity", "alice", "--room", "r", "--join")
    assert code == 0 and "internal error" not in err
    code, document = run_json(capsys, "token", "decode", "--json", out.strip().splitlines()[-1])
    assert document["signature"]["status"] == "valid"
