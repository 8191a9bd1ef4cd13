"""Clock judgement (pure, no network) and the NTP probe against the loopback NTP responder."""

from __future__ import annotations

import email.utils

import pytest

from lkdebug.core import clock
from lkdebug.core.model import CheckStatus, Severity
from lkdebug.demo.ntp import NtpResponder


def codes(findings):
    return [(f.code, f.severity) for f in findings]


def test_the_briefs_example_sentence():
    # 83 s ahead: nbf = now here = server + 83, rejected until server time reaches nbf - 60.
    assert clock.consequence(83) == (
        "a token minted here is not valid there for the first 23 s (its nbf is in the server's future)"
    )


def test_behind_shortens_the_token_and_can_expire_it_on_arrival():
    assert "expires 30 s early" in clock.consequence(-90, ttl=300)
    assert "lasts only 4 min 30 s" not in clock.consequence(-90, ttl=300)  # whole units only when exact
    assert "already expired" in clock.consequence(-400, ttl=300)


def test_within_leeway_mentions_nodes_tighter_verifier():
    assert "within the server's 60 s leeway" in clock.consequence(30)
    assert "Node's TokenVerifier allows only 10 s" in clock.consequence(30)
    assert "Node" not in clock.consequence(3)


@pytest.mark.parametrize(
    ("ntp", "server", "expected"),
    [
        (0.2, 0.3, [("clock.ok", Severity.OK)]),
        (None, 0.3, [("clock.ok", Severity.OK)]),
        (0.2, None, [("clock.ok", Severity.OK)]),
        (None, None, []),
        (83, None, [("clock.skew_ntp", Severity.ERROR)]),
        (30, None, [("clock.skew_ntp", Severity.WARNING)]),
        # The server is 120 s ahead of real time, this machine is right: the server's clock is wrong.
        (0.0, -120, [("clock.skew_server", Severity.ERROR)]),
        # This machine is 83 s ahead of real time and so is the server: tokens still work, only a warning.
        (83, 0.0, [("clock.skew_ntp", Severity.WARNING)]),
        # This machine is 83 s ahead of real time, the server keeps real time.
        (83, 83, [("clock.skew_server", Severity.ERROR), ("clock.skew_ntp", Severity.ERROR)]),
    ],
)
def test_three_way_judgement(ntp, server, expected):
    assert codes(clock.judge_clocks(ntp, server, 0.5)) == expected


def test_the_wrong_side_gets_the_fix():
    server_wrong = clock.judge_clocks(0.0, -120, 0.5)[0]
    assert "server's clock is the one that is off: 120 s ahead of NTP time" in server_wrong.fix
    here_wrong = clock.judge_clocks(83, 83, 0.5, hints=["Run `sudo hwclock -s`."])[0]
    assert here_wrong.fix.startswith("Sync this machine's clock") and "hwclock" in here_wrong.fix
    assert "not valid there for the first 23 s" in here_wrong.detail


def test_the_date_headers_resolution_is_not_mistaken_for_skew():
    # 60.8 s measured with ±1 s uncertainty could be 59.8 s: within the leeway, so not an error.
    assert clock.judge_clocks(None, 60.8, 1.0)[0].severity is Severity.WARNING
    assert clock.judge_clocks(None, 0.4, 0.5)[0].code == "clock.ok"


def test_offset_from_date_accounts_for_resolution_and_round_trip():
    date = email.utils.formatdate(1000.0, usegmt=True)
    offset, uncertainty = clock.offset_from_date(date, sent=1100.0, received=1101.0)
    # Server time is in [1000, 1001): centred at 1000.5; this machine's time is mid-request, 1100.5.
    assert offset == pytest.approx(100.0)
    assert uncertainty == pytest.approx(1.0)
    assert clock.offset_from_date("not a date", 0, 0) is None
    assert clock.offset_from_date("", 0, 0) is None


def test_token_on_server_speaks_only_when_the_clocks_disagree():
    claims = {"nbf": 1000, "exp": 1600}
    assert clock.token_on_server(claims, local_now=1010, server_offset=0) is None
    sentence = clock.token_on_server(claims, local_now=1010, server_offset=100)  # server reads 910
    assert sentence == "By this machine's clock the token is valid; by the server's clock it is not valid for another 30 s."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pool.ntp.org", ("pool.ntp.org", 123)),
        ("127.0.0.1:12345", ("127.0.0.1", 12345)),
        ("[::1]:5123", ("::1", 5123)),
        ("[::1]", ("::1", 123)),
        ("::1", ("::1", 123)),
    ],
)
def test_parse_ntp_server(text, expected):
    assert clock.parse_ntp_server(text) == expected


@pytest.mark.parametrize("text", ["", ":123", "host:port", "host:0", "host:70000", "[::1", "[::1]x"])
def test_parse_ntp_server_rejects_with_a_message(text):
    with pytest.raises(ValueError):
        clock.parse_ntp_server(text)


def test_hints_name_the_drifting_vm():
    assert "hwclock -s" in clock.clock_hints(wsl=True, container=False)[0]
    assert "Docker Desktop" in clock.clock_hints(wsl=False, container=True)[0]
    assert "timedatectl" in clock.clock_hints(wsl=False, container=False, system="Linux")[0]


async def test_ntp_probe_reads_the_responders_offset():
    with NtpResponder(offset=-42.0) as responder:
        result = await clock.probe_ntp([responder.address], timeout=2)
    assert result.status is CheckStatus.PASS
    # The responder is 42 s behind, so this machine is 42 s ahead of "NTP time".
    assert result.data.offset == pytest.approx(42.0, abs=0.5)


async def test_ntp_probe_takes_the_median_and_survives_one_silent_server():
    with NtpResponder(offset=0.0) as a, NtpResponder(offset=-1.0) as b, NtpResponder(offset=-2.0) as c, \
            NtpResponder(silent=True) as silent:
        result = await clock.probe_ntp([a.address, b.address, c.address, silent.address], timeout=1)
    assert result.status is CheckStatus.PASS
    assert result.data.offset == pytest.approx(1.0, abs=0.5)
    assert sum(answer.error is not None for answer in result.data.answers) == 1


async def test_silent_ntp_is_unreachable_not_a_hang():
    with NtpResponder(silent=True) as silent:
        result = await clock.probe_ntp([silent.address], timeout=0.5)
    assert result.status is CheckStatus.WARN
    assert [f.code for f in result.findings] == ["clock.ntp_unreachable"]
    assert "UDP port" in result.findings[0].detail


@pytest.mark.parametrize("kiss", ["RATE", "DENY"])
async def test_a_kiss_of_death_is_a_refusing_server_not_an_offset(kiss):
    # Read as a time, its zero timestamps made "your clock is 2002573993 s ahead".
    with NtpResponder(kiss=kiss) as responder:
        result = await clock.probe_ntp([responder.address], timeout=2)
    assert result.status is CheckStatus.WARN and result.data.offset is None
    assert [f.code for f in result.findings] == ["clock.ntp_unreachable"]
    assert f"Kiss-o'-Death ({kiss}:" in result.findings[0].detail
    assert clock.KISS_CODES[kiss] in result.findings[0].detail


async def test_a_kiss_of_death_does_not_outvote_servers_that_answer():
    with NtpResponder(offset=-5.0) as good, NtpResponder(kiss="RATE") as kod:
        result = await clock.probe_ntp([good.address, kod.address], timeout=2)
    assert result.status is CheckStatus.PASS and result.data.offset == pytest.approx(5.0, abs=0.5)


async def test_a_closed_ntp_port_is_named_at_once():
    with NtpResponder() as responder:
        port = responder.address[1]
    result = await clock.probe_ntp([("127.0.0.1", port)], timeout=5)
    assert "nothing listens on UDP port" in result.findings[0].detail
