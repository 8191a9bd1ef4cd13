"""Issue 11 loose end: which releases refuse an iat in the future, said from every era's verdict.

The finding said "v1.4.1 to v1.12.x reject it", but v1.4.0 and older (square/go-jose) refuse it too, in their
own words; v1.13+ (golang-jwt) never look at iat.
"""

from __future__ import annotations

import pytest

from lkdebug.core import server_rules
from lkdebug.core.decode import decode
from lkdebug.core.mint import build_claims, mint
from lkdebug.core.model import KnownKey
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET

NOW = 1_800_000_000


def iat_finding(**times):
    claims = build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"}, now=NOW)
    claims.update(times)
    token = mint({k: v for k, v in claims.items() if v is not None}, SECRET)
    decoded = decode(token, known_keys=[KnownKey(KEY, SECRET, ".env")], now=NOW)
    found = [f for f in decoded.findings if f.code == "token.iat_future"]
    return decoded, found


def test_every_go_jose_era_is_named_with_its_own_words():
    decoded, found = iat_finding(iat=NOW + 600, nbf=None)
    assert len(found) == 1, decoded.findings
    detail = found[0].detail
    assert "iat is not checked by v1.13.0 and newer, unreleased included" in detail
    assert "v1.4.1 to v1.12.x answer 401 `invalid token: <the token>, error: go-jose/go-jose/jwt: validation field" in detail
    assert "v1.4.0 and older answer 401 `invalid token: <the token>, error: square/go-jose/jwt: validation field" in detail
    assert decoded.raw not in detail


def test_the_text_follows_the_verdicts():
    """Each era the finding names refuses the token for its iat; each it leaves out accepts it."""
    decoded, found = iat_finding(iat=NOW + 600, nbf=None)
    verdicts = server_rules.judge_every_era(decoded.raw, {KEY: SECRET}, NOW)
    refusing = [era for era, v in verdicts.items() if v.reason == "iat_future"]
    assert refusing == [server_rules.V1_9, server_rules.V1_6, server_rules.V1_4, server_rules.V1_0]
    assert all(verdicts[era].accepted for era in verdicts if era not in refusing)
    for label, _ in server_rules.same_answers({era: verdicts[era] for era in refusing}):
        assert label in found[0].detail


@pytest.mark.parametrize("iat", [NOW + 60, NOW - 5])
def test_inside_the_leeway_nothing_is_said(iat):
    assert iat_finding(iat=iat, nbf=None)[1] == []


def test_a_future_nbf_is_the_older_servers_first_answer():
    """go-jose reports only its first failing check: with nbf ahead too, the older servers speak of nbf."""
    decoded, found = iat_finding(iat=NOW + 600, nbf=NOW + 600)
    assert found == [] and "token.not_yet_valid" in [f.code for f in decoded.findings]


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_the_releases_that_take_hs384_and_hs512_follow_the_verdicts(alg):
    """token.alg said "v1.4.1 to v1.12.x accepted HS384 and HS512"; v1.4.0 and older (square/go-jose) do too."""
    import base64
    import hashlib
    import hmac
    import json

    def seg(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"}, now=NOW)
    signing_input = f"{seg(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{seg(json.dumps(claims).encode())}"
    token = f"{signing_input}.{seg(hmac.new(SECRET.encode(), signing_input.encode(), getattr(hashlib, 'sha' + alg[2:])).digest())}"
    decoded = decode(token, known_keys=[KnownKey(KEY, SECRET, ".env")], now=NOW)
    taking = [era for era, v in decoded.eras.items() if v.accepted]
    assert taking == [server_rules.V1_9, server_rules.V1_6, server_rules.V1_4, server_rules.V1_0]
    finding = next(f for f in decoded.findings if f.code == "token.alg")
    assert f"({server_rules.span_label(taking)} accepted HS384 and HS512 too.)" in finding.detail
    assert "v1.12.x and older" in finding.detail


@pytest.mark.parametrize("where", ["end", "header"])
def test_the_releases_that_trim_padding_follow_the_verdicts(where):
    """token.not_jwt said "v1.4.1 to v1.12.x trim it, v1.13 refuses it": v1.4.0 and older (square/go-jose v2,
    no trimming) refuse it too, and so does the unreleased head."""
    claims = build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo"}, now=NOW)
    token = mint(claims, SECRET)
    padded = token + "=" if where == "end" else token.replace(".", "=.", 1)
    decoded = decode(padded, known_keys=[KnownKey(KEY, SECRET, ".env")], now=NOW)
    trimming = [era for era, v in decoded.eras.items() if v.accepted]
    refusing = [era for era, v in decoded.eras.items() if v.reason == "malformed"]
    assert trimming == [server_rules.V1_9, server_rules.V1_6, server_rules.V1_4]
    assert refusing == [server_rules.HEAD, server_rules.V1_13, server_rules.V1_0]
    fix = next(f.fix for f in decoded.findings if f.code == "token.not_jwt")
    assert f"{server_rules.span_label(trimming)} trim it; it is refused by " in fix
    for run in ([server_rules.HEAD, server_rules.V1_13], [server_rules.V1_0]):
        assert server_rules.span_label(run) in fix.split("refused by", 1)[1]


def test_a_past_iat_costs_no_second_judgement(monkeypatch):
    """The eras are judged once for the verdict; only an iat in the future has them judged again, for the finding."""
    calls = []
    judge = server_rules.judge_every_era
    monkeypatch.setattr(server_rules, "judge_every_era", lambda *a, **k: calls.append(a) or judge(*a, **k))
    assert iat_finding(iat=NOW - 5)[1] == [] and len(calls) == 1
    calls.clear()
    assert len(iat_finding(iat=NOW + 600, nbf=None)[1]) == 1 and len(calls) == 2
