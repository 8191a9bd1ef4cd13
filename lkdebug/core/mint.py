"""Mint LiveKit access tokens: the claims livekit-api's AccessToken writes, signed HS256.

PyJWT is imported only inside `mint`, where a token is minted, so `lkdebug token decode` never pays for it.
"""

from __future__ import annotations

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


HEADER = {"alg": "HS256", "typ": "JWT"}  # the header of every token lkdebug mints


def mint(claims: dict, secret: str) -> str:
    """HS256 (`HEADER`, the only algorithm livekit-server accepts), signed by PyJWT's `jwt.encode`.

    PyJWT needs no `cryptography` for HMAC (it is not a dependency; PyJWT imports it only when some
    other package installed it), and it is imported here, where a token is minted, so `token decode`
    never pays for it. Its short-key warning is silenced: lkdebug reports a short secret itself
    (env.secret_short). An empty secret is refused (ValueError): no server holds one.
    The interop tests check these tokens with livekit-api's TokenVerifier.
    """
    if not secret:
        raise ValueError("the API secret is empty: nothing can sign with it")
    import warnings

    import jwt
    from jwt.warnings import InsecureKeyLengthWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


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
