"""Mint LiveKit access tokens: the claims livekit-api's AccessToken writes, signed HS256.

The signer is the standard library's (json, and `core.codec`'s base64url and HMAC-SHA256 on the interpreter's builtin SHA-2), byte for byte what PyJWT's `jwt.encode` writes
(tests/test_mint_hs256.py holds it to PyJWT and to the SDKs' verifiers): PyJWT would cost a command
2 to 11 MiB and 120 to 250 ms on its first token (it loads urllib.request, http.client, email, and
`cryptography` where another package installed it) for one HMAC.
"""

from __future__ import annotations

import json

from lkdebug.core import codec

DEFAULT_VALID_FOR = 6 * 3600  # the Go and Python server SDKs' default TTL


def build_claims(
    *,
    api_key: str,
    identity: str | None = None,
    name: str | None = None,
    video: dict | None = None,
    sip: dict | None = None,
    kind: str | None = None,
    metadata: str | None = None,
    attributes: dict[str, str] | None = None,
    extra: dict | None = None,
    valid_for: float = DEFAULT_VALID_FOR,
    now: float,
) -> dict:
    """The payload livekit-api's AccessToken writes for the same inputs (times aside: they are `now`).

    Like AccessToken: `sub` is always present, empty values are left out, a video grant spells out
    canPublish/canSubscribe/canPublishData (true unless given), a SIP grant spells out admin/call.
    """
    claims: dict = {}
    for claim, value in (("name", name), ("kind", kind), ("metadata", metadata)):
        if value:
            claims[claim] = value
    if video is not None:
        claims["video"] = {
            "canPublish": True, "canSubscribe": True, "canPublishData": True,
            **{k: v for k, v in video.items() if v is not None and v != ""},
        }
    if sip is not None:
        claims["sip"] = {"admin": False, "call": False, **sip}
    if attributes:
        claims["attributes"] = dict(attributes)
    claims.update(extra or {})
    claims.update({"sub": identity or "", "iss": api_key, "nbf": int(now), "exp": int(now + valid_for)})
    return claims


HEADER = {"alg": "HS256", "typ": "JWT"}  # the header of every token lkdebug mints, keys sorted as PyJWT writes them


def _segment(value: dict) -> bytes:
    """One base64url part of a JWT as PyJWT writes it: compact JSON, otherwise json.dumps's defaults (non-ASCII
    as \\u escapes, NaN as NaN, a tuple as a list, key order kept), no padding."""
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return codec.b64url_encode(compact.encode("ascii")).rstrip(b"=")


def mint(claims: dict, secret: str) -> str:
    """`claims` signed HS256 (`HEADER`, the only algorithm livekit-server accepts) with `secret`'s UTF-8 bytes.

    The same text PyJWT's `jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})` returns,
    except that any non-empty secret signs, as the server's HMAC takes any: PyJWT refuses one that looks
    like a PEM, SSH or JWK key. An empty secret is refused (ValueError): no server holds one. A short
    secret is not warned about here: lkdebug reports it itself (env.secret_short).
    """
    if not secret:
        raise ValueError("the API secret is empty: nothing can sign with it")
    # server_rules' HMAC is the one decode verifies with; the commands that mint decode the token next.
    from lkdebug.core.server_rules import hmac_signature

    signing_input = _segment(HEADER) + b"." + _segment(claims)
    signature = codec.b64url_encode(hmac_signature(signing_input, secret)).rstrip(b"=")
    return (signing_input + b"." + signature).decode("ascii")


def probe_claims(api_key: str, now: float) -> dict:
    """A throwaway join token for `/rtc/validate`: hidden, can do nothing, expires in 10 minutes.

    Validate joins no room and opens no session, so the random room and identity leave no trace.
    """
    import secrets  # it loads random; only the probes mint a throwaway token

    suffix = secrets.token_hex(4)
    return build_claims(
        api_key=api_key,
        identity=f"lkdebug-probe-{suffix}",
        video={"roomJoin": True, "room": f"lkdebug-probe-{suffix}", "hidden": True,
               "canPublish": False, "canSubscribe": False, "canPublishData": False},
        valid_for=600,
        now=now,
    )
