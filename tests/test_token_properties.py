"""Whatever is pasted, `decode` never raises and always says something (DESIGN §7)."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from lkdebug.core.model import KnownKey
from lkdebug.core.decode import decode
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

NOW = 1768478400.0
KEYS = [KnownKey(DEMO_API_KEY, DEMO_API_SECRET, ".env")]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text) -> None:
    decoded = decode(text, known_keys=KEYS, server_keys=None, now=NOW)
    assert decoded.findings, repr(text)
    assert decoded.verdict is not None
    json.dumps(decoded.to_dict())  # the --json output can always be written
    decoded.to_dict(reveal=True)


@FAST
@given(st.text())
def test_arbitrary_text(text):
    check(text)


@FAST
@given(st.binary())
def test_bytes_as_latin1_and_utf8(data):
    check(data.decode("latin-1"))
    check(data.decode("utf-8", "replace"))
    check(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
claim_values = st.dictionaries(
    st.sampled_from(["iss", "sub", "exp", "nbf", "iat", "jti", "video", "sip", "kind", "name", "roomConfig",
                     "attributes", "agent"]) | st.text(max_size=6),
    json_values
    | st.fixed_dictionaries({}, optional={"roomJoin": json_values, "room": json_values, "canPublish": json_values,
                                          "canPublishSources": json_values, "roomName": json_values}),
    max_size=6,
)


def segment(data: bytes, padded: bool) -> str:
    encoded = base64.urlsafe_b64encode(data).decode()
    return encoded if padded else encoded.rstrip("=")


@FAST
@given(
    header=st.dictionaries(st.sampled_from(["alg", "typ", "kid"]),
                           st.sampled_from(["HS256", "HS512", "RS256", "none", "JWT", ""]) | json_values, max_size=3),
    claims=claim_values,
    signature=st.binary(max_size=40),
    padded=st.booleans(),
    wrapper=st.sampled_from(["{}", "Bearer {}", '"{}"', " {}\n", "?token={}", '{{"token": "{}"}}']),
)
def test_near_jwts(header, claims, signature, padded, wrapper):
    token = ".".join(segment(part, padded) for part in (
        json.dumps(header).encode(), json.dumps(claims).encode(), signature))
    check(wrapper.format(token))


@FAST
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+/", max_size=30),
                min_size=1, max_size=6))
def test_dotted_base64ish_strings(parts):
    check(".".join(parts))


@FAST
@given(exp=st.one_of(st.integers(), st.floats()), nbf=st.one_of(st.integers(), st.floats()), iat=st.integers())
def test_extreme_times(exp, nbf, iat):
    claims = {"iss": DEMO_API_KEY, "sub": "a", "exp": exp, "nbf": nbf, "iat": iat, "video": {"roomJoin": True, "room": "r"}}
    check(".".join(segment(p, False) for p in (b'{"alg":"HS256","typ":"JWT"}', json.dumps(claims).encode(), b"sig")))


def signed(header: bytes, payload: bytes) -> str:
    import hashlib
    import hmac

    signing_input = f"{segment(header, False)}.{segment(payload, False)}"
    return f"{signing_input}.{segment(hmac.new(DEMO_API_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest(), False)}"


@FAST
@given(claims=claim_values, case=st.sampled_from([str, str.upper, str.title]), duplicate=st.booleans())
def test_signed_tokens_reach_every_era_past_the_signature(claims, case, duplicate):
    """Signed with the known secret, so every era's grant, time and join rules run (issue 11's parser)."""
    body = json.dumps({"iss": DEMO_API_KEY, **{case(k) if k != "iss" else k: v for k, v in claims.items()}})
    if duplicate and len(body) > 2:
        body = body[:-1] + ', "video": {"room": "x"}, "VIDEO": null}'
    check(signed(b'{"alg":"HS256","typ":"JWT"}', body.encode()))
