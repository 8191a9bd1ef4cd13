"""The server's rules and wording, checked against literal texts from the reference tables
(reference/livekit-server-behaviour.md §2.2-2.3): an oracle independent of server_rules itself."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lkdebug.core import server_rules as rules

KEY = "APIwho5Fake1"
SECRET = "a-fake-secret-that-is-long-enough-0123"
KEYS = {KEY: SECRET}


def token(now: float, secret: str = SECRET, alg: str = "HS256", **claims) -> str:
    payload = {"iss": KEY, "sub": "alice", "nbf": int(now), "exp": int(now) + 600,
               "video": {"roomJoin": True, "room": "standup"}}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret if alg.startswith("HS") else secret, algorithm=alg)


def test_valid_token_is_accepted_by_every_era(now):
    for era, verdict in rules.judge_every_era(token(now), KEYS, now).items():
        assert (verdict.accepted, verdict.status, verdict.message) == (True, 200, "success"), era


@pytest.mark.parametrize(
    "era, expected",
    [
        ("head", "invalid authorization token: token signature is invalid: signature is invalid"),
        ("v1.13", "invalid token: {jwt}, error: token signature is invalid: signature is invalid"),
        ("v1.4", "invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive"),
        ("v1.0", "invalid token: {jwt}, error: square/go-jose: error in cryptographic primitive"),
    ],
)
def test_wrong_secret_wording(now, era, expected):
    raw = token(now, secret="another-secret-entirely-0123456789abc")
    verdict = rules.judge(raw, KEYS, now, era)
    assert (verdict.status, verdict.message, verdict.reason) == (401, expected.format(jwt=raw), "signature")


def test_unknown_key_wording(now):
    raw = token(now, iss="APIother")
    assert rules.judge(raw, KEYS, now, "v1.13").message == "invalid API key: APIother"
    assert rules.judge(raw, KEYS, now, "head").message == "invalid API key"
    assert rules.judge(token(now, iss=None), KEYS, now).message == "invalid API key: "


@pytest.mark.parametrize("garbage", ["", "undefined", "[object Promise]", "a.b", "a.b.c", "eyJ.eyJ.x"])
def test_garbage_is_invalid_authorization_token(now, garbage):
    verdict = rules.judge(garbage, KEYS, now)
    if garbage == "":
        # No token at all passes the middleware with no grants; the handler refuses.
        assert verdict.message == "no permissions to access the room"
    else:
        assert (verdict.status, verdict.message) == (401, "invalid authorization token")


def test_bad_authorization_header(now):
    verdict = rules.judge(token(now), KEYS, now, authorization="bearer x")
    assert verdict.message == "invalid authorization header. Must start with Bearer "


def test_expiry_leeway_boundary(now):
    raw = token(now, exp=int(now) - 60)
    # now >= exp + 60 is expired in golang-jwt eras...
    assert rules.judge(raw, KEYS, now, "v1.13").message.endswith("error: token has invalid claims: token is expired")
    assert rules.judge(raw, KEYS, now - 1, "v1.13").accepted
    # ...while go-jose only fails when now - 60 > exp.
    assert rules.judge(raw, KEYS, now, "v1.4").accepted
    assert rules.judge(raw, KEYS, now + 1, "v1.4").message.endswith(
        "error: go-jose/go-jose/jwt: validation failed, token is expired (exp)")
    assert rules.judge(raw, KEYS, now, "head").message == (
        "invalid authorization token: token has invalid claims: token is expired")


def test_not_before_leeway(now):
    raw = token(now, nbf=int(now) + 61, exp=int(now) + 3600)
    assert rules.judge(raw, KEYS, now, "v1.13").message.endswith("token has invalid claims: token is not valid yet")
    assert rules.judge(raw, KEYS, now, "v1.4").message.endswith(
        "go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)")
    assert rules.judge(raw, KEYS, now + 1, "v1.13").accepted


def test_missing_exp_only_fails_on_head(now):
    raw = token(now, exp=None)
    assert rules.judge(raw, KEYS, now, "v1.13").accepted
    assert rules.judge(raw, KEYS, now, "head").message == (
        "invalid authorization token: token has invalid claims: "
        "token is missing required claim: exp claim is required")


def test_iat_in_future_only_matters_to_go_jose(now):
    raw = token(now, iat=int(now) + 3600)
    assert rules.judge(raw, KEYS, now, "v1.13").accepted
    assert rules.judge(raw, KEYS, now, "v1.4").message.endswith(
        "go-jose/go-jose/jwt: validation field, token issued in the future (iat)")


def test_algorithm_other_than_hs256(now, monkeypatch):
    long_secret = SECRET * 2  # PyJWT warns about HS512 keys under 64 bytes
    monkeypatch.setitem(KEYS, KEY, long_secret)
    raw = token(now, secret=long_secret, alg="HS512")
    assert rules.judge(raw, KEYS, now, "v1.13").message.endswith(
        "error: token signature is invalid: signing method HS512 is invalid")
    assert rules.judge(raw, KEYS, now, "v1.4").accepted  # DERIVED in the reference


@pytest.mark.parametrize(
    "video, sub, status, body",
    [
        (None, "alice", 401, "no permissions to access the room"),
        ({"room": "standup"}, "alice", 401, "permissions denied"),
        ({"roomJoin": False, "room": "standup"}, "alice", 401, "permissions denied"),
        ({"roomJoin": True, "room": "standup"}, "", 400, "identity cannot be empty"),
        ({"roomJoin": True, "room": "standup"}, "x" * 257, 400,
         "participant identity length exceeds limits: max length 256"),
        ({"roomJoin": True}, "alice", 400, "no room name"),
        ({"roomJoin": True, "roomName": "standup"}, "alice", 400, "no room name"),
        ({"roomJoin": True, "room": "r" * 257}, "alice", 400, "room name length exceeds limits: max length 256"),
    ],
)
def test_join_checks_in_server_order(now, video, sub, status, body):
    verdict = rules.judge(token(now, video=video, sub=sub), KEYS, now)
    assert (verdict.status, verdict.message) == (status, body)


def test_jti_stands_in_for_empty_sub(now):
    assert rules.judge(token(now, sub=None, jti="bob"), KEYS, now).accepted


def test_wrongly_typed_grant_is_malformed(now):
    verdict = rules.judge(token(now, video={"roomJoin": "yes", "room": "x"}), KEYS, now, "head")
    assert verdict.message.startswith("invalid authorization token: token is malformed: could not JSON decode claim")


@pytest.mark.parametrize(
    "body, era",
    [
        ("invalid token: eyJ.x.y, error: go-jose/go-jose: error in cryptographic primitive", "v1.4"),
        ("invalid token: eyJ.x.y, error: square/go-jose/jwt: validation failed, token is expired (exp)", "v1.0"),
        ("invalid token: eyJ.x.y, error: token has invalid claims: token is expired", "v1.13"),
        ("invalid authorization token: token signature is invalid: signature is invalid", "head"),
        ("invalid API key", "head"),
        ("invalid API key: APIxyz", "released"),
        ("success", None),
    ],
)
def test_recognise_era(body, era):
    assert rules.recognise_era(body) == era


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_judge_never_raises_on_text(text):
    verdict = rules.judge(text, KEYS, 1_768_478_400.0)
    assert verdict.status in (200, 400, 401)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=40),
                min_size=3, max_size=3))
def test_judge_never_raises_on_near_jwts(parts):
    rules.judge("eyJ" + ".".join(parts), KEYS, 1_768_478_400.0)
