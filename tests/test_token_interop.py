"""Interop with livekit-api, the reference implementation (DESIGN §7)."""

from __future__ import annotations

import time

import pytest

from lkdebug.core.decode import decode
from lkdebug.core.mint import build_claims, mint
from lkdebug.core.model import KnownKey
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET

api = pytest.importorskip("livekit.api")


@pytest.mark.parametrize("kwargs", [
    dict(identity="alice", video={"roomJoin": True, "room": "demo"}),
    dict(identity="bot", name="Bot", kind="agent", metadata='{"x": 1}', attributes={"role": "bot"},
         video={"roomJoin": True, "room": "demo", "hidden": True, "canPublishSources": ["microphone"]}),
    dict(video={"roomAdmin": True, "roomList": True, "room": "demo"}, sip={"admin": True, "call": True}),
])
def test_lkdebug_tokens_verify_with_livekit_token_verifier(kwargs):
    # TokenVerifier checks against the real clock, so these tokens are minted now.
    token = mint(build_claims(api_key=KEY, now=time.time(), **kwargs), SECRET)
    claims = api.TokenVerifier(KEY, SECRET).verify(token)
    assert claims.identity == kwargs.get("identity", "")
    if "video" in kwargs:
        assert claims.video.room == "demo"
        assert claims.video.room_join == kwargs["video"].get("roomJoin")
    if "sip" in kwargs:
        assert claims.sip.admin and claims.sip.call


def test_lkdebug_tokens_fail_livekit_verifier_with_another_secret():
    import jwt

    token = mint(build_claims(api_key=KEY, identity="a", now=time.time()), SECRET)
    with pytest.raises(jwt.InvalidSignatureError):
        api.TokenVerifier(KEY, "another-secret-of-at-least-32-chars!!").verify(token)


def test_access_token_decodes_to_the_same_claims_with_a_valid_signature():
    now = time.time()
    token = (api.AccessToken(KEY, SECRET).with_identity("alice").with_name("Alice").with_metadata("m")
             .with_attributes({"a": "b"}).with_kind("standard")
             .with_grants(api.VideoGrants(room_join=True, room="demo", can_publish_sources=["camera"]))
             .with_sip_grants(api.SIPGrants(call=True)).to_jwt())
    import jwt

    expected = jwt.decode(token, SECRET, algorithms=["HS256"])
    decoded = decode(token, known_keys=[KnownKey(KEY, SECRET, "test")], now=now)
    assert decoded.claims == expected
    assert decoded.signature.status == "valid"
    assert decoded.verdict.accepted and decoded.verdict.status == 200
    assert decoded.claims["video"]["room"] == "demo" and decoded.claims["sub"] == "alice"


def test_leeway_agrees_with_livekit_verifier():
    """Both follow the server's 60 s: a token 59 s past exp passes both, 61 s past fails both."""
    import jwt

    now = time.time()
    for past, accepted in ((50, True), (70, False)):
        claims = build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "room": "r"}, now=now - 3600)
        claims["exp"] = int(now) - past
        token = mint(claims, SECRET)
        assert decode(token, known_keys=[KnownKey(KEY, SECRET, "t")], now=now).verdict.accepted is accepted
        if accepted:
            api.TokenVerifier(KEY, SECRET).verify(token)
        else:
            with pytest.raises(jwt.ExpiredSignatureError):
                api.TokenVerifier(KEY, SECRET).verify(token)
