"""Token core: durations, time words, minting, unwrapping pasted input, signatures, verdicts and lint.

Wording is checked against literal strings from reference/livekit-server-behaviour.md §2.3, an
oracle that does not share code with server_rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lkdebug.core.decode import Signature, decode
from lkdebug.core.mint import build_claims, mint, probe_claims
from lkdebug.core.model import KnownKey, Severity
from lkdebug.core.times import describe_time, iso_utc, parse_duration, relative, span
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET

OTHER_KEY, OTHER_SECRET = "APIotherFAKEkey9", "other-secret-FAKE-0123456789-0123456789-abc"


def known(*pairs):
    return [KnownKey(k, s, origin) for k, s, origin in pairs] if pairs else [KnownKey(KEY, SECRET, ".env")]


def join_token(now, secret=SECRET, **overrides):
    claims = build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"}, now=now)
    claims.update(overrides)
    return mint({k: v for k, v in claims.items() if v is not None}, secret)


def hand_signed(header: dict, claims: dict, secret: str = SECRET, digest=hashlib.sha256) -> str:
    def seg(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{seg(json.dumps(header).encode())}.{seg(json.dumps(claims).encode())}"
    return f"{signing_input}.{seg(hmac.new(secret.encode(), signing_input.encode(), digest).digest())}"


def codes(decoded, severity=None):
    return [f.code for f in decoded.findings if severity is None or f.severity is severity]


# ------------------------------------------------------------------------------------ durations, words


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("10m", 600), ("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("90", 90), (" 2h ", 7200),
    ("1.5h", 5400), ("500ms", 0.5), ("10min", 600),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "6x", "h", "1h 30", "-5m", "1h30"])
def test_parse_duration_rejects_with_a_usable_message(text):
    with pytest.raises(ValueError, match="not a duration: use e.g. 30s, 10m, 6h, 1d"):
        parse_duration(text)


def test_time_words():
    assert describe_time("exp", -180) == "expired 3 min ago"
    assert describe_time("exp", 5 * 3600 + 59 * 60) == "valid for 5h 59m more"
    assert describe_time("nbf", 120) == "not valid for another 2 min"
    assert describe_time("nbf", -45) == "valid since 45 s ago"
    assert describe_time("iat", 0) == "issued now"
    assert span(3 * 86400 + 7200) == "3d 2h"
    assert span(float("inf")) == "forever"
    assert relative(-90) == "1 min 30 s ago" and relative(3600) == "in 1h 0m" and relative(0.2) == "now"


def _iso_utc_by_datetime(at):
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(float(at), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None


@given(st.one_of(st.floats(), st.integers(), st.integers(-10**12, 10**12).map(lambda s: s + 0.9999995),
                 st.integers(-10**12, 10**12).map(lambda s: s - 0.0000005)))
@example(1_700_000_000.9999996)
@example(-0.5)
@example(-30_610_224_000.5)
@example(253_402_300_799.9999999)
@example(10**400)
@example(float("nan"))
def test_iso_utc_writes_what_datetime_writes(at):
    """iso_utc does without datetime: the same text, the same rounding, None where datetime refuses."""
    assert iso_utc(at) == _iso_utc_by_datetime(at)


# ------------------------------------------------------------------------------------------ minting


@pytest.mark.parametrize("kwargs, build", [
    (dict(identity="alice", video={"roomJoin": True, "room": "r"}),
     lambda at, api: at.with_identity("alice").with_grants(api.VideoGrants(room_join=True, room="r"))),
    (dict(identity="bob", name="Bob", video={"roomJoin": True, "room": "r", "canPublish": False,
                                             "canPublishSources": ["camera"], "hidden": True},
          metadata="m", attributes={"a": "1"}, kind="agent"),
     lambda at, api: at.with_identity("bob").with_name("Bob").with_metadata("m").with_attributes({"a": "1"})
     .with_kind("agent").with_grants(api.VideoGrants(room_join=True, room="r", can_publish=False,
                                                     can_publish_sources=["camera"], hidden=True))),
    (dict(video={"roomAdmin": True, "roomList": True, "room": "r"}),
     lambda at, api: at.with_grants(api.VideoGrants(room_admin=True, room_list=True, room="r"))),
    (dict(sip={"admin": True}), lambda at, api: at.with_sip_grants(api.SIPGrants(admin=True))),
    (dict(), lambda at, api: at),
])
def test_payload_equals_livekit_api_access_token(kwargs, build, now):
    from livekit import api

    ours = build_claims(api_key=KEY, now=now, **kwargs)
    theirs = decode(build(api.AccessToken(KEY, SECRET), api).to_jwt(), now=now).claims
    times = ("nbf", "exp")
    assert {k: v for k, v in ours.items() if k not in times} == {k: v for k, v in theirs.items() if k not in times}
    assert ours["exp"] - ours["nbf"] == 6 * 3600 == theirs["exp"] - theirs["nbf"]


def test_mint_is_hs256_with_now_and_valid_for(now):
    token = mint(build_claims(api_key=KEY, identity="a", valid_for=600, now=now), SECRET)
    decoded = decode(token, known_keys=known(), now=now)
    assert decoded.header == {"alg": "HS256", "typ": "JWT"}
    assert decoded.claims["nbf"] == int(now) and decoded.claims["exp"] == int(now) + 600
    assert decoded.signature.status == "valid"


def test_probe_claims_join_nothing_and_expire_soon(now):
    claims = probe_claims(KEY, now)
    assert claims["video"]["roomJoin"] and claims["video"]["hidden"] and not claims["video"]["canPublish"]
    assert claims["sub"].startswith("lkdebug-probe-") and claims["exp"] - claims["nbf"] == 600
    assert probe_claims(KEY, now)["sub"] != claims["sub"]


# ---------------------------------------------------------------------------------------- unwrapping


@pytest.mark.parametrize("wrap, stripped", [
    ("{t}", []),
    ("Bearer {t}", ["'Bearer ' prefix (as the server expects it)"]),
    ("Authorization: Bearer {t}", ["'Authorization: Bearer' header (as the server expects it)"]),
    ("bearer {t}", ["'Bearer ' prefix"]),
    ('"{t}"', ["surrounding quotes"]),
    ("'{t}'\n", ["surrounding whitespace or newlines", "surrounding quotes"]),
    ("  \n{t}\n\n", ["surrounding whitespace or newlines"]),
    ("\ufeff{t}", ["invisible characters (BOM or zero-width)"]),
    ("wss://lk.example.com/rtc?access_token={t}&auto_subscribe=1", ["URL (the access_token= parameter)"]),
    ("https://meet.livekit.io/custom?liveKitUrl=wss://x.livekit.cloud&token={t}",
     ["URL (the token= parameter of a LiveKit Meet link)"]),
    ("?token={t}", ["URL (the token= parameter)"]),
    ('{{"token": "{t}"}}', ['JSON object (the "token" field)']),
    ('{{"data": {{"accessToken": "{t}"}}}}', ['JSON object (the "accessToken" field)']),
    ('{{"participantToken": "Bearer {t}"}}', ['JSON object (the "participantToken" field)',
                                              "'Bearer ' prefix (as the server expects it)"]),
    ("LIVEKIT_TOKEN={t}", ["'LIVEKIT_TOKEN' assignment"]),
    ("{head}\n{tail}", ["line breaks or spaces inside the token"]),
])
def test_unwraps_what_people_paste(wrap, stripped, now):
    token = join_token(now)
    text = wrap.format(t=token, head=token[:40], tail=token[40:])
    decoded = decode(text, known_keys=known(), now=now)
    assert decoded.raw == token
    assert decoded.stripped == stripped
    assert decoded.signature.status == "valid"


def test_a_megabyte_token_pasted_with_line_breaks_decodes_whole(now):
    # What a terminal paste of a token with 1 MB of metadata gives; its speed is benchmarks/bench_token.py's.
    token = mint(build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                              metadata="m" * 1_000_000, now=now), SECRET)
    decoded = decode(f"\u200b{token[:500_000]}\n{token[500_000:]}\n", known_keys=known(), now=now)
    assert decoded.raw == token and len(decoded.claims["metadata"]) == 1_000_000
    assert decoded.stripped == ["invisible characters (BOM or zero-width)", "line breaks or spaces inside the token"]
    assert decoded.signature.status == "valid"


@pytest.mark.parametrize("text, looks_like, code", [
    ("APIdemoFAKEkey01", "an API key", "token.api_key_not_jwt"),
    ("[object Promise]", "[object Promise]: an un-awaited toJwt()", "token.not_jwt"),
    ("undefined", "`undefined`: the variable that should hold the token was never set", "token.not_jwt"),
    ("null", "`null`", "token.not_jwt"),
    ('{"error": "unauthorized", "status": 401}', "JSON without a token field", "token.not_jwt"),
    ('{"token": {}}', 'JSON whose "token" is an object', "token.not_jwt"),
    ("https://my-app.example.com/api/token", "a URL without a token parameter", "token.not_jwt"),
    ("", "empty input", "token.not_jwt"),
    ("   \n", "empty input", "token.not_jwt"),
    ("Bearer ", "empty input", "token.not_jwt"),
    ("abc.def", "2 dot-separated parts", "token.not_jwt"),
    # Three parts is the right count: say what is wrong instead ("3 parts (a JWT has exactly 3)" once).
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.abc~x", "three dot-separated parts, but not a JWT: it holds '~'", "token.not_jwt"),
    ("hello world", "text that is not a JWT", "token.not_jwt"),
])
def test_says_what_a_non_jwt_looks_like(text, looks_like, code, now):
    decoded = decode(text, now=now)
    assert decoded.raw is None
    assert decoded.looks_like.startswith(looks_like)
    assert codes(decoded) == [code] or codes(decoded)[-1] == code
    assert decoded.rejected


def test_a_pasted_secret_is_recognised_and_never_echoed(now):
    decoded = decode(SECRET, now=now)
    assert "secret" in decoded.looks_like
    assert SECRET not in json.dumps(decoded.to_dict())


def test_the_server_words_for_non_jwts(now):
    # §2.3: no token at all -> 401 no permissions; garbage -> 401 invalid authorization token
    assert decode("", now=now).verdict.to_dict() == {"accepted": False, "status": 401, "message": "no permissions to access the room"}
    assert decode("[object Promise]", now=now).verdict.message == "invalid authorization token"


@pytest.mark.parametrize("mangle, why", [
    (lambda t: t.replace(".", "=.", 1), "padding"),
    (lambda t: "eyJ+" + t[4:], "standard base64"),
    (lambda t: "bm90IGpzb24." + t.split(".", 1)[1], "header is not JSON"),
])
def test_near_jwts_say_why_the_server_cannot_parse_them(mangle, why, now):
    decoded = decode(mangle(join_token(now)), now=now)
    assert decoded.verdict.message == "invalid authorization token"
    assert why in decoded.findings[-1].title and decoded.findings[-1].code == "token.not_jwt"


def test_exp_as_a_string_is_explained(now):
    decoded = decode(hand_signed({"alg": "HS256", "typ": "JWT"}, {"iss": KEY, "exp": "2026-01-15"}), now=now)
    assert "exp claim is not a number" in decoded.findings[-1].title


# ---------------------------------------------------------------------------------------- signatures


def test_valid_signature_names_the_key_and_its_origin(now):
    decoded = decode(join_token(now), known_keys=known((KEY, SECRET, ".env.local")), now=now)
    assert decoded.signature == Signature("valid", "APIdem…", ".env.local")
    assert "token.signature_valid" in codes(decoded, Severity.OK)


def test_no_known_secret_says_unchecked_and_marks_the_assumption(now):
    decoded = decode(join_token(now), now=now)
    assert decoded.signature.status == "unchecked"
    assert "token.signature_unchecked" in codes(decoded, Severity.WARNING)
    assert decoded.verdict.accepted and "signature is valid" in decoded.verdict_assumes
    assert decoded.to_dict()["verdict"]["assumes"] == decoded.verdict_assumes


def test_wrong_secret_is_invalid_and_names_drift(now):
    token = join_token(now, secret=OTHER_SECRET)
    decoded = decode(token, known_keys=known((KEY, SECRET, ".env"), (OTHER_KEY, OTHER_SECRET, "lk project x")), now=now)
    assert decoded.signature.status == "invalid"
    finding = next(f for f in decoded.findings if f.code == "token.signature_invalid")
    assert finding.severity is Severity.ERROR and "APIoth… (from lk project x)" in finding.detail
    assert "drift" in finding.detail and SECRET not in finding.detail
    assert decoded.verdict.message.endswith(", error: token signature is invalid: signature is invalid")


def test_a_key_the_project_does_not_have_is_never_green(now):
    """Issue 11's false green: another project's key got "livekit-server would accept this token", exit 0."""
    decoded = decode(join_token(now, secret=OTHER_SECRET), known_keys=known((OTHER_KEY, "x" * 40, ".env")), now=now)
    assert "token.unknown_key" in codes(decoded, Severity.ERROR)
    assert "token.valid" not in codes(decoded)
    assert decoded.rejected and decoded.verdict.message == f"invalid API key: {KEY}"
    finding = next(f for f in decoded.findings if f.code == "token.unknown_key")
    assert f"only a server that holds {KEY[:6]}…" in finding.detail
    assert "this project's keys" in decoded.verdict_assumes


def test_with_no_key_known_the_green_says_what_it_assumes(now):
    decoded = decode(join_token(now), now=now)
    valid = next(f for f in decoded.findings if f.code == "token.valid")
    assert valid.title.startswith(f"A server that holds key {KEY[:6]}… would accept this token if its signature is right")


def test_unknown_key_is_an_error_when_the_server_config_lacks_it(now):
    decoded = decode(join_token(now), known_keys=known(), server_keys={OTHER_KEY: OTHER_SECRET}, now=now)
    assert "token.unknown_key" in codes(decoded, Severity.ERROR)
    assert decoded.verdict.message == f"invalid API key: {KEY}"
    assert decoded.eras["head"].message == "invalid API key"


def test_signed_with_another_keys_secret(now):
    decoded = decode(join_token(now, secret=OTHER_SECRET), known_keys=known((OTHER_KEY, OTHER_SECRET, ".env")), now=now)
    assert decoded.signature.status == "invalid" and decoded.signature.matched_key == "APIoth…"
    assert "token.signature_invalid" in codes(decoded, Severity.ERROR)


# ------------------------------------------------------------------ verdict wording (literal oracle)


def test_expired_wording_in_every_era(now):
    token = join_token(now, exp=int(now) - 61, nbf=int(now) - 3600)
    decoded = decode(token, known_keys=known(), now=now)
    assert decoded.eras["head"].message == "invalid authorization token: token has invalid claims: token is expired"
    assert decoded.eras["v1.13"].message == f"invalid token: {token}, error: token has invalid claims: token is expired"
    assert decoded.eras["v1.4"].message == f"invalid token: {token}, error: go-jose/go-jose/jwt: validation failed, token is expired (exp)"
    assert decoded.eras["v1.0"].message == f"invalid token: {token}, error: square/go-jose/jwt: validation failed, token is expired (exp)"
    body = decoded.to_dict()["verdict"]
    signature = token.rsplit(".", 1)[1]
    assert body["status"] == 401 and signature not in json.dumps(decoded.to_dict())
    assert body["message"].endswith("<signature hidden>, error: token has invalid claims: token is expired")
    assert signature in json.dumps(decoded.to_dict(reveal=True))


def test_wrong_secret_wording_in_every_era(now):
    token = join_token(now, secret="y" * 40)
    decoded = decode(token, known_keys=known(), now=now)
    assert decoded.eras["head"].message == "invalid authorization token: token signature is invalid: signature is invalid"
    assert decoded.eras["v1.4"].message == f"invalid token: {token}, error: go-jose/go-jose: error in cryptographic primitive"


def test_not_yet_valid_wording(now):
    decoded = decode(join_token(now, nbf=int(now) + 61), known_keys=known(), now=now)
    assert decoded.eras["head"].message == "invalid authorization token: token has invalid claims: token is not valid yet"
    assert decoded.eras["v1.4"].message.endswith("go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)")
    finding = next(f for f in decoded.findings if f.code == "token.not_yet_valid")
    assert finding.severity is Severity.ERROR and "clock" in finding.detail and "clock" in finding.fix


def test_no_exp_accepted_by_released_servers_rejected_by_head(now):
    decoded = decode(join_token(now, exp=None), known_keys=known(), now=now)
    assert decoded.verdict.accepted
    assert decoded.eras["head"].message == (
        "invalid authorization token: token has invalid claims: token is missing required claim: exp claim is required")
    assert "token.no_exp" in codes(decoded, Severity.WARNING)


def test_hs512_is_refused_by_current_servers(now):
    claims = build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "room": "r"}, now=now)
    token = hand_signed({"alg": "HS512", "typ": "JWT"}, claims, digest=hashlib.sha512)
    decoded = decode(token, known_keys=known(), now=now)
    assert decoded.eras["head"].message == "invalid authorization token: token signature is invalid: signing method HS512 is invalid"
    assert decoded.eras["v1.4"].accepted  # go-jose accepts any HMAC (DERIVED in the reference)
    assert "token.alg" in codes(decoded, Severity.ERROR)


@pytest.mark.parametrize("video, sub, status, message, code", [
    (None, "a", 401, "no permissions to access the room", "token.no_video"),
    ({"room": "r"}, "a", 401, "permissions denied", "token.no_join"),
    ({"roomJoin": True, "room": "r"}, "", 400, "identity cannot be empty", "token.no_identity"),
    ({"roomJoin": True}, "a", 400, "no room name", "token.no_room"),
    ({"roomJoin": True, "room": "r" * 257}, "a", 400, "room name length exceeds limits: max length 256", "token.room_too_long"),
    ({"roomJoin": True, "room": "r"}, "a" * 257, 400, "participant identity length exceeds limits: max length 256",
     "token.identity_too_long"),
])
def test_join_refusals(video, sub, status, message, code, now):
    decoded = decode(join_token(now, video=video, sub=sub), known_keys=known(), now=now)
    assert (decoded.verdict.status, decoded.verdict.message) == (status, message)
    assert code in codes(decoded, Severity.ERROR)


def test_every_missing_join_piece_is_reported_at_once(now):
    decoded = decode(join_token(now, video={"canPublish": True}, sub=""), known_keys=known(), now=now)
    assert {"token.no_join", "token.no_identity", "token.no_room"} <= set(codes(decoded, Severity.ERROR))


def test_server_api_tokens_are_not_scolded_for_lacking_a_join(now):
    decoded = decode(join_token(now, video={"roomList": True, "roomCreate": True}, sub=""), known_keys=known(), now=now)
    assert "token.no_join" in codes(decoded, Severity.INFO)
    assert decoded.rejected  # a join is still refused: /rtc/validate answers permissions denied


# ------------------------------------------------------------------------------------------ lint


def test_valid_token_gets_token_valid(now):
    decoded = decode(join_token(now), known_keys=known(), now=now)
    assert decoded.verdict.accepted and "token.valid" in codes(decoded, Severity.OK)
    assert not [f for f in decoded.findings if f.severity in (Severity.ERROR, Severity.WARNING)]


def test_expired_inside_the_leeway_is_a_warning(now):
    decoded = decode(join_token(now, exp=int(now) - 59, nbf=int(now) - 3600), known_keys=known(), now=now)
    assert decoded.verdict.accepted
    finding = next(f for f in decoded.findings if f.code == "token.expired")
    assert finding.severity is Severity.WARNING and "1 s more" in finding.detail


def test_expired_beyond_the_leeway_explains_the_leeway(now):
    decoded = decode(join_token(now, exp=int(now) - 180, nbf=int(now) - 3600), known_keys=known(), now=now)
    finding = next(f for f in decoded.findings if f.code == "token.expired")
    assert finding.title == "Expired 3 min ago" and "60 s of leeway" in finding.detail
    assert "<the token>" in finding.detail and decoded.times["exp"].relative == "expired 3 min ago"
    assert decoded.times["exp"].iso == "2026-01-15T11:57:00Z"


@pytest.mark.parametrize("ttl, code", [(0, "token.ttl_short"), (30, "token.ttl_short"), (2 * 86400, "token.ttl_long")])
def test_ttl(ttl, code, now):
    decoded = decode(join_token(now, exp=int(now) + ttl), known_keys=known(), now=now)
    assert code in codes(decoded, Severity.WARNING)


@pytest.mark.parametrize("video, code", [
    ({"roomJoin": True, "room": "r", "roomAdmin": True}, "token.admin_grant"),
    ({"roomJoin": True, "room": "r", "canPublish": False, "canPublishSources": ["camera"]}, "token.sources_without_publish"),
    ({"roomJoin": True, "roomName": "r"}, "token.room_name_key"),
    ({"roomJoin": True, "room": "r", "canPublishSource": ["camera"]}, "token.unknown_grant"),
])
def test_grant_lint(video, code, now):
    decoded = decode(join_token(now, video=video), known_keys=known(), now=now)
    assert code in codes(decoded)


def test_unknown_grant_suggests_the_right_name(now):
    decoded = decode(join_token(now, video={"roomJoin": True, "room": "r", "canPublishSource": []}), now=now)
    assert "did you mean 'canPublishSources'?" in next(f.title for f in decoded.findings if f.code == "token.unknown_grant")


def test_wrongly_typed_grant_is_explained(now):
    decoded = decode(join_token(now, video={"roomJoin": "yes", "room": "r"}), known_keys=known(), now=now)
    assert decoded.verdict.message.startswith("invalid token: ")
    assert "token.grant_type" in codes(decoded, Severity.ERROR)


def test_json_shape(now):
    out = decode(join_token(now), known_keys=known(), now=now).to_dict()
    assert {"header", "claims", "times", "signature", "verdict", "findings"} <= set(out)
    assert set(out["times"]) == {"nbf", "exp"} and set(out["times"]["exp"]) == {"unix", "iso", "relative"}
    assert {"status", "key"} <= set(out["signature"])
    assert {"accepted", "status", "message"} <= set(out["verdict"])
    assert set(out["findings"][0]) == {"code", "severity", "area", "title", "detail", "fix", "because"}
    assert list(out["eras"]) == ["head", "v1.13", "v1.9", "v1.6", "v1.4", "v1.0"]


def test_decode_json_gives_each_era_its_exact_join_verdict(tmp_path, now, capsys):
    from lkdebug import cli

    (tmp_path / ".env").write_text(f"LIVEKIT_URL=ws://127.0.0.1:7880\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")

    def eras(**overrides):
        cli.main(["token", "decode", join_token(now, **overrides), "--dir", str(tmp_path), "--now", str(int(now)), "--json"])
        return {era: (v["status"], v["message"], v["era_label"]) for era, v in json.loads(capsys.readouterr().out)["eras"].items()}

    identity_limit = (400, "participant identity length exceeds limits: max length 256", "v1.6.2 to v1.9.0")
    long_identity = eras(sub="a" * 257)
    assert (long_identity["v1.4"], long_identity["v1.6"]) == ((200, "success", "v1.4.1 to v1.6.1"), identity_limit)
    long_room = eras(video={"roomJoin": True, "room": "é" * 128 + "a"})  # 257 bytes of UTF-8
    assert (long_room["v1.4"], long_room["v1.6"]) == (
        (200, "success", "v1.4.1 to v1.6.1"), (400, "room name length exceeds limits: max length 256", "v1.6.2 to v1.9.0"))
    roomless = eras(video={"roomJoin": True})
    assert (roomless["v1.6"], roomless["v1.9"]) == ((200, "success", "v1.6.2 to v1.9.0"), (400, "no room name", "v1.9.1 to v1.12.x"))
    assert list(roomless) == ["head", "v1.13", "v1.9", "v1.6", "v1.4", "v1.0"]


def test_a_header_padded_with_two_equals_is_not_read_as_an_assignment():
    """`HEADER==.PAYLOAD.SIG` once parsed as NAME = '=.PAYLOAD.SIG', dropping the header (the fuzz test found it)."""
    header = base64.urlsafe_b64encode(b'  {"alg":"HS256","typ"  :  "JWT"  }  ').decode()
    assert header.endswith("==")
    payload = base64.urlsafe_b64encode(b'{"iss":"APIkey","sub":"a"}').decode().rstrip("=")
    decoded = decode(f"{header}.{payload}.c2ln", known_keys=[], server_keys=None, now=0)
    assert decoded.stripped == [] and decoded.claims == {"iss": "APIkey", "sub": "a"}


def test_decode_text_gives_one_line_to_neighbouring_eras_that_answer_alike(now):
    from lkdebug.commands.token import decoded_text

    roomless = decoded_text(decode(join_token(now, video={"roomJoin": True}), known_keys=known(), now=now))
    assert "v1.9.1 to v1.12.x: 400 no room name" in roomless and "v1.9.0 and older: 200 success" in roomless
    assert "v1.6.2 to v1.9.0" not in roomless
    expired = decoded_text(decode(join_token(now, nbf=int(now) - 7200, exp=int(now) - 3600), known_keys=known(), now=now))
    assert ("v1.4.1 to v1.12.x: 401 invalid token: <the token>, error: go-jose/go-jose/jwt: validation failed, "
            "token is expired (exp)") in expired
    assert "v1.9.1 to v1.12.x" not in expired
