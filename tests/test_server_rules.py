"""The server's rules and wording, checked against literal texts from the reference tables
(reference/livekit-server-behaviour.md §2.2-2.3): an oracle independent of server_rules itself."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
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
        ("v1.9", "invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive"),
        ("v1.6", "invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive"),
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
        # go-jose v3 words it alike from v1.4.1 to v1.12.x: the body names that group, not one of its eras.
        ("invalid token: eyJ.x.y, error: go-jose/go-jose: error in cryptographic primitive", "v1.4-v1.12"),
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


# ---- issue 11: the per-era parser (reference/livekit-server-token-rules.md, "Steps, in order") ----------------

import base64 as _b64  # noqa: E402
import hashlib as _hashlib  # noqa: E402
import hmac as _hmac  # noqa: E402

SECRET_1 = next(iter(KEYS.values()))
KEY_1 = next(iter(KEYS))
NEW, OLD = ("head", "v1.13"), ("v1.9", "v1.6", "v1.4", "v1.0")


def _seg(data: bytes) -> str:
    return _b64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(header: bytes, payload: bytes, secret: str = SECRET_1) -> str:
    signing_input = f"{_seg(header)}.{_seg(payload)}"
    return f"{signing_input}.{_seg(_hmac.new(secret.encode(), signing_input.encode(), _hashlib.sha256).digest())}"


def _payload(now, body: str = "") -> bytes:
    return (f'{{"iss":"{KEY_1}","sub":"a","exp":{int(now) + 600},"video":{{"roomJoin":true,"room":"r"}}{body}}}').encode()


H256 = b'{"alg":"HS256","typ":"JWT"}'


def _reasons(raw, now):
    return {era: rules.judge(raw, KEYS, now, era).reason for era in rules.ERAS}


def test_float_times_are_floored_by_golang_jwt_and_truncated_by_go_jose(now):
    raw = _raw(H256, f'{{"iss":"{KEY_1}","sub":"a","exp":{now - 60 + 0.5},"video":{{"roomJoin":true,"room":"r"}}}}'.encode())
    reasons = _reasons(raw, now)
    assert reasons["v1.13"] == "expired" and reasons["v1.4"] == "ok"  # floor(exp)+60 == now; go-jose: now-60 > exp is false


def test_quoted_numeric_times_golang_jwt_accepts_go_jose_refuses(now):
    raw = _raw(H256, f'{{"iss":"{KEY_1}","sub":"a","exp":"{int(now) + 600}","video":{{"roomJoin":true,"room":"r"}}}}'.encode())
    reasons = _reasons(raw, now)
    assert [reasons[e] for e in NEW] == ["ok", "ok"] and [reasons[e] for e in OLD] == ["malformed"] * 4
    huge = _raw(H256, f'{{"iss":"{KEY_1}","sub":"a","exp":1e400,"video":{{"roomJoin":true,"room":"r"}}}}'.encode())
    assert set(_reasons(huge, now).values()) == {"malformed"}


def test_keys_fold_and_merge_in_golang_jwt_only(now):
    folded = _raw(H256, f'{{"ISS":"{KEY_1}","ſub":"a","exp":{int(now) + 600},"Video":{{"RoomJoin":true,"room":"r"}}}}'.encode())
    reasons = _reasons(folded, now)
    assert reasons["v1.13"] == "ok" and reasons["v1.4"] == "unknown_key"  # go-jose sees no iss at all
    merged = _raw(H256, _payload(now, ',"video":{"room":"other"}'))
    assert rules.judge(merged, KEYS, now).accepted  # objects merge: roomJoin kept, room replaced
    assert rules.judge(merged, KEYS, now, "v1.4").reason == "malformed"  # a duplicate top-level key
    nested = _raw(H256, f'{{"iss":"{KEY_1}","sub":"a","video":{{"roomJoin":true,"room":"r","room":"s"}}}}'.encode())
    assert rules.judge(nested, KEYS, now, "v1.4").message.endswith("error: json: duplicate key 'room' in object")
    assert rules.judge(nested, KEYS, now).accepted


def test_bom_and_nan_are_refused_and_invalid_utf8_replaced(now):
    assert set(_reasons(_raw(H256, b"\xef\xbb\xbf" + _payload(now)), now).values()) == {"malformed"}
    assert set(_reasons(_raw(H256, _payload(now, ',"x":NaN')), now).values()) == {"malformed"}
    bad_utf8 = _raw(H256, _payload(now).replace(b'"sub":"a"', b'"sub":"a\xff"'))
    assert rules.judge(bad_utf8, KEYS, now).accepted
    assert rules.parse(bad_utf8).claims["sub"] == "a\ufffd"


def test_go_jose_hmac_family_crit_and_kid(now):
    def hs(alg, digest, header=None):
        head = header or f'{{"alg":"{alg}"}}'.encode()
        signing_input = f"{_seg(head)}.{_seg(_payload(now))}"
        return f"{signing_input}.{_seg(_hmac.new(SECRET_1.encode(), signing_input.encode(), digest).digest())}"

    assert _reasons(hs("HS384", _hashlib.sha384), now) == {"head": "alg", "v1.13": "alg", "v1.9": "ok", "v1.6": "ok", "v1.4": "ok", "v1.0": "ok"}
    crit = hs("HS256", _hashlib.sha256, b'{"alg":"HS256","crit":["exp"]}')
    assert rules.judge(crit, KEYS, now, "v1.4").message.endswith("go-jose/go-jose: error in cryptographic primitive")
    assert rules.judge(crit, KEYS, now).accepted
    kid = hs("HS256", _hashlib.sha256, b'{"alg":"HS256","kid":5}')
    assert rules.judge(kid, KEYS, now, "v1.4").reason == "malformed" and rules.judge(kid, KEYS, now).accepted


def test_padding_spaces_and_the_json_serialization(now):
    raw = _raw(H256, _payload(now))
    padded = ".".join(part + "=" * (-len(part) % 4) for part in raw.split("."))
    assert padded != raw
    assert _reasons(padded, now) == {"head": "malformed", "v1.13": "malformed", "v1.9": "ok", "v1.6": "ok", "v1.4": "ok",
                                     "v1.0": "malformed"}
    spaced = raw[:20] + " \u00a0" + raw[20:]
    assert _reasons(spaced, now) == {"head": "malformed", "v1.13": "malformed", "v1.9": "ok", "v1.6": "ok", "v1.4": "ok",
                                     "v1.0": "ok"}
    header, payload, signature = raw.split(".")
    serialized = f'{{"protected":"{header}","payload":"{payload}","signature":"{signature}"}}'
    assert _reasons(serialized, now)["v1.4"] == "ok" and _reasons(serialized, now)["v1.13"] == "malformed"
    line_broken = raw[:-10] + "\r\n" + raw[-10:]  # inside the signature: Go's base64 skips CR and LF
    assert rules.judge(line_broken, KEYS, now).accepted


def test_the_judge_can_assume_the_signature(now):
    raw = _raw(H256, _payload(now), secret="not-the-servers-secret-0123456789abcdef")
    assert rules.judge(raw, KEYS, now).reason == "signature"
    assert rules.judge(raw, {}, now, assume_signature=True).accepted
    assert rules.judge(raw, {}, now + 10_000, assume_signature=True).reason == "expired"


# ---- the go-jose v3 eras' join checks (reference "Steps, in order", 5: v1.6.2 limits, v1.9.1 `no room name`) ----


def _join_token(now, **video_and_sub):
    sub = video_and_sub.pop("sub", "alice")
    return token(now, sub=sub, video={"roomJoin": True, **video_and_sub})


def test_length_limits_arrive_in_v1_6_2_in_bytes(now):
    identity = _reasons(_join_token(now, sub="a" * 257, room="r"), now)
    room = _reasons(_join_token(now, room="é" * 128 + "a"), now)  # 129 characters, 257 bytes
    # v1.6.1 is in era v1.4 (no limits), v1.6.2 in era v1.6.
    assert identity == {"head": "identity_too_long", "v1.13": "identity_too_long", "v1.9": "identity_too_long",
                        "v1.6": "identity_too_long", "v1.4": "ok", "v1.0": "ok"}
    assert room == {"head": "room_too_long", "v1.13": "room_too_long", "v1.9": "room_too_long",
                    "v1.6": "room_too_long", "v1.4": "ok", "v1.0": "ok"}
    assert rules.judge(_join_token(now, room="é" * 128), KEYS, now, "v1.6").accepted  # 256 bytes: at the limit
    verdict = rules.judge(_join_token(now, sub="a" * 257, room="r"), KEYS, now, "v1.6")
    assert (verdict.status, verdict.message) == (400, "participant identity length exceeds limits: max length 256")
    verdict = rules.judge(_join_token(now, room="é" * 128 + "a"), KEYS, now, "v1.6")
    assert (verdict.status, verdict.message) == (400, "room name length exceeds limits: max length 256")


def test_no_room_name_arrives_in_v1_9_1(now):
    roomless = _join_token(now)
    v1_9_0, v1_9_1 = rules.judge(roomless, KEYS, now, "v1.6"), rules.judge(roomless, KEYS, now, "v1.9")
    assert (v1_9_0.status, v1_9_0.message) == (200, "success")  # the room came from ?room=
    assert (v1_9_1.status, v1_9_1.message) == (400, "no room name")
    assert _reasons(roomless, now) == {"head": "no_room", "v1.13": "no_room", "v1.9": "no_room",
                                       "v1.6": "ok", "v1.4": "ok", "v1.0": "ok"}
    claims = {"sub": "a", "video": {"roomJoin": True}}
    assert rules.join_verdict(claims, "v1.6", query_room="é" * 129).message == "room name length exceeds limits: max length 256"
    assert rules.join_verdict(claims, "v1.9", query_room="standup").message == "no room name"  # ?room= no longer read
    assert rules.join_room({"video": {"room": "r"}}, "v1.4", query_room="q") == "r"


def test_eras_are_exact_and_neighbours_that_answer_alike_read_as_one_span(now):
    assert list(rules.ERAS) == ["head", "v1.13", "v1.9", "v1.6", "v1.4", "v1.0"]
    assert list(rules.judge_every_era(token(now), KEYS, now)) == list(rules.ERAS)
    wrong = rules.judge_every_era(token(now, secret="another-secret-entirely-0123456789abc"), KEYS, now)
    assert [label for label, _ in rules.same_answers(wrong)] == [
        "unreleased (after v1.13.5)", "v1.13.0 to v1.13.5", "v1.4.1 to v1.12.x", "v1.4.0 and older"]
    roomless = rules.judge_every_era(_join_token(now), KEYS, now)
    assert [(label, v.status) for label, v in rules.same_answers(roomless)] == [
        ("v1.9.1 and newer, unreleased included", 400), ("v1.9.0 and older", 200)]
    # Only neighbours merge: with v1.13 left out, head and v1.9 stay apart.
    assert len(rules.same_answers({e: v for e, v in roomless.items() if e != "v1.13"})) == 3


def test_go_jose_strips_exactly_gos_unicode_spaces(now):
    """Go's unicode.IsSpace is Python's str.isspace without the separators U+001C to U+001F: every code point
    of the one is stripped from a token before go-jose parses it, every other code point is kept."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    go_spaces = "".join(c for c in every if c.isspace() and c not in "\x1c\x1d\x1e\x1f")
    assert "".join(rules._GO_SPACES.findall(every)) == go_spaces
    kept = "".join(c for c in every if c not in go_spaces)
    assert rules._strip_go_spaces(every) == kept  # the separators are in: the regex strips
    without = every.translate(dict.fromkeys(range(0x1C, 0x20)))
    assert rules._strip_go_spaces(without) == "".join(c for c in without if c not in go_spaces)  # str.split strips
    raw = _raw(H256, _payload(now))
    assert _reasons(raw[:20] + go_spaces + raw[20:], now)["v1.4"] == "ok"
    assert _reasons(raw[:20] + "\x1c" + raw[20:], now)["v1.4"] == "malformed"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["", "=", " ", "\u3000", "\r\n", "+", "\x1c", "e30", "eyJhbGciOiJIUzI1NiJ9", "."]),
                max_size=8), st.booleans())
def test_one_parse_per_parser_answers_as_one_parse_per_era(now, pieces, assume):
    """judge_every_era parses once per parser family; each era judged on its own parse answers the same."""
    raw = _raw(H256, _payload(now))
    cut = len(pieces) * 7 % len(raw)
    mangled = raw[:cut] + "".join(pieces) + raw[cut:]
    shared = rules.judge_every_era(mangled, KEYS, now, assume_signature=assume)
    assert shared == {era: rules.judge(mangled, KEYS, now, era, assume_signature=assume) for era in rules.ERAS}
    assert rules.judge_every_era(mangled, KEYS, now, assume_signature=assume, parsed=rules.parse(mangled)) == shared
