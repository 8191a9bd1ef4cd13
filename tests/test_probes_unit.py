"""The pure parts of the probes: URL understanding, reading the server's words, ordering findings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lkdebug.core import diagnose, probes, server_rules
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.mint import mint, probe_claims
from lkdebug.core.replies import verdict_findings
from lkdebug.core.target import TokenToTest, parse_url, url_check

FROZEN = 1768478400.0


@pytest.mark.parametrize(
    ("text", "signal", "api"),
    [
        ("wss://demo.livekit.cloud", "wss://demo.livekit.cloud", "https://demo.livekit.cloud"),
        ("https://demo.livekit.cloud/", "wss://demo.livekit.cloud", "https://demo.livekit.cloud"),
        ("ws://localhost:7880", "ws://localhost:7880", "http://localhost:7880"),
        ("http://127.0.0.1:7880", "ws://127.0.0.1:7880", "http://127.0.0.1:7880"),
        # A reverse-proxy prefix is kept in both forms (element-call #3710).
        ("wss://example.com/livekit/", "wss://example.com/livekit", "https://example.com/livekit"),
        ("wss://example.com:8443/lk", "wss://example.com:8443/lk", "https://example.com:8443/lk"),
        ("ws://[::1]:7880", "ws://[::1]:7880", "http://[::1]:7880"),
        ("WSS://Example.COM", "wss://example.com", "https://example.com"),
    ],
)
def test_one_setting_gives_both_forms(text, signal, api):
    target, findings = parse_url(text)
    assert (target.signal_url, target.api_url) == (signal, api)
    # A proxy prefix is kept, and said as an info (as the env lint says it of a setting).
    assert [f.code for f in findings] == (["net.url_path"] if text.rstrip("/").count("/") > 2 else [])
    assert all(f.severity is Severity.INFO for f in findings)


def finding_codes(text):
    return [f.code for f in parse_url(text)[1]]


def test_missing_scheme_is_flagged_and_guessed():
    target, findings = parse_url("livekit.example.com")
    assert [f.code for f in findings] == ["net.url_no_scheme"]
    assert target.signal_url == "wss://livekit.example.com"
    assert parse_url("localhost:7880")[0].signal_url == "ws://localhost:7880"
    assert "wss://livekit.example.com" in findings[0].fix


def test_app_urls_and_sdk_suffixes():
    assert finding_codes("https://myapp.example.com/api/token") == ["net.url_app"]
    assert finding_codes("http://localhost:3000/api/livekit/token") == ["net.url_app"]
    target, findings = parse_url("wss://example.com/rtc")
    assert [f.code for f in findings] == ["net.url_path"] and target.prefix == ""
    assert finding_codes("wss://example.com/?access_token=abc") == ["net.url_query"]
    assert parse_url("http://localhost:3000")[0].app_port == "Next.js/React"


@pytest.mark.parametrize("text", ["", "   ", "ftp://example.com", "wss://", "wss://host:99999", "tcp://host:7880"])
def test_unusable_urls(text):
    target, findings = parse_url(text)
    assert target is None
    assert findings[-1].code == "net.url_invalid" and findings[-1].severity is Severity.ERROR


@given(st.text(max_size=80))
def test_any_text_gives_a_target_or_a_finding(text):
    target, findings = parse_url(text)
    assert target is not None or findings
    if target is not None:
        assert target.signal_url.startswith(("ws://", "wss://"))
        assert target.api_url.startswith(("http://", "https://"))


def test_url_check_without_a_url_says_so():
    result, target = url_check(None)
    assert target is None and [f.code for f in result.findings] == ["net.no_url"]


# The server's words for each case, produced by server_rules.judge for every era: what a real
# server of that era answers, so the mapping is tested against all four wordings.
SECRET = "right-secret-0123456789abcdef0123456789"
KEY = "APIprobeKey"


def answer(raw, keys, now, era):
    verdict = server_rules.judge(raw, keys, now, era)
    return verdict.status, verdict.message


def token_to_test(raw, predicted=None):
    return TokenToTest(raw, True, KEY, ".env.local", predicted, "livekit.yaml")


@pytest.mark.parametrize("era", list(server_rules.ERAS))
def test_each_era_maps_to_the_same_findings(era):
    raw = mint(probe_claims(KEY, FROZEN), SECRET)
    cases = {
        "server.token_accepted": ({KEY: SECRET}, FROZEN),
        "server.key_unknown": ({"APIother": SECRET}, FROZEN),
        "server.signature_mismatch": ({KEY: "another-secret-0123456789abcdef012345"}, FROZEN),
        "server.token_rejected": ({KEY: SECRET}, FROZEN + 3600),  # expired on the server's clock
    }
    for code, (keys, now) in cases.items():
        status, body = answer(raw, keys, now, era)
        findings = verdict_findings(status, body, token_to_test(raw), [SECRET], "/rtc/validate")
        assert findings[0].code == code, (era, body)
        # The server's words are shown, minus the echoed token's signature.
        assert raw.split(".")[2] not in findings[0].detail
    status, body = answer(raw, {KEY: "another-secret-0123456789abcdef012345"}, FROZEN, era)
    detail = verdict_findings(status, body, token_to_test(raw), [], "/rtc/validate")[0].detail
    assert ("signature is invalid" in detail) or ("error in cryptographic primitive" in detail)
    assert "<the token>" in detail or era == server_rules.HEAD


def test_a_server_that_disagrees_with_the_prediction_is_named():
    raw = mint(probe_claims(KEY, FROZEN), SECRET)
    predicted = server_rules.judge(raw, {KEY: SECRET}, FROZEN)
    status, body = answer(raw, {KEY: "another-secret-0123456789abcdef012345"}, FROZEN, server_rules.CURRENT_ERA)
    finding = verdict_findings(status, body, token_to_test(raw, predicted), [], "/rtc/validate")[0]
    assert finding.code == "server.signature_mismatch"
    assert "lkdebug expected 200 'success' from the keys in livekit.yaml" in finding.detail
    # And the other way round: predicted a rejection, the server accepts.
    wrong = server_rules.judge(raw, {"APIother": SECRET}, FROZEN)
    findings = verdict_findings(200, "success", token_to_test(raw, wrong), [], "/rtc/validate")
    assert [f.code for f in findings] == ["server.token_accepted", "server.disagrees"]


def test_words_that_are_not_livekits_are_not_mapped():
    raw = mint(probe_claims(KEY, FROZEN), SECRET)
    finding = verdict_findings(401, "Unauthorized", token_to_test(raw), [], "/rtc/validate")[0]
    assert finding.code == "server.token_rejected" and "not livekit-server's wording" in finding.fix


def make(code, severity=Severity.ERROR, title="t"):
    return Finding(code, severity, "network", title)


def test_root_cause_first_and_network_noise_once():
    findings = [
        make("net.closed", title="GET / hung up"), make("net.closed", title="validate hung up"),
        make("server.api_denied"), make("env.placeholder"), make("server.key_unknown"),
        make("clock.ok", Severity.OK), make("net.refused", Severity.WARNING),
    ]
    ordered = [f.code for f in diagnose.order_findings(findings)]
    assert ordered == ["server.key_unknown", "env.placeholder", "net.closed", "server.api_denied", "net.refused", "clock.ok"]


def test_a_probe_record_is_read_by_its_kind():
    """CheckResult.payload: the record of the kind asked for, None for any other; a misspelt field fails loudly."""
    result = CheckResult("dns", CheckStatus.PASS, 1.0, "", data=probes.DnsAnswer(("127.0.0.1", "::1")))
    assert result.payload(probes.DnsAnswer).addresses == ("127.0.0.1", "::1")
    assert result.payload(probes.TcpConnects) is None
    assert CheckResult("tcp", CheckStatus.FAIL).payload(probes.TcpConnects) is None
    with pytest.raises(AttributeError):
        result.payload(probes.DnsAnswer).adresses  # noqa: B018


def test_tcp_record_names_the_addresses_that_connected():
    connects = probes.TcpConnects((probes.Connect("::1", error="refused"), probes.Connect("127.0.0.1", 0.4)))
    assert connects.reachable == ["127.0.0.1"]
