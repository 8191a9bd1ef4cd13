"""The join response and offer, from the stand-in on 127.0.0.1, and the judgements of what they advertise."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from lkdebug import cli
from lkdebug.core import advertised, ice, join
from lkdebug.core.diagnose import MEDIA_CHECKS, diagnose
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings, Severity
from lkdebug.core.mint import mint, probe_claims
from lkdebug.core.target import Target, parse_url
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, StandInServer, run_in_thread
from tests.conftest import open_sockets
from tests.resolver import resolve_to_loopback

pytestmark = pytest.mark.timeout(60)

TURN_URL = "turn:lk-user:lk-pass-XYZ@127.0.0.1:3478?transport=udp"
PUBLIC_NAME = "livekit.example.com"


def settings_for(url: str) -> Settings:
    return Settings(url=Setting("LIVEKIT_URL", url, "test"), api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                    api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, ".env.test"),
                    known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, ".env.test")])


@pytest.fixture
def ntp():
    with NtpResponder() as responder:
        yield [responder.address]


async def run(url: str, ntp, **kwargs):
    return await diagnose(settings_for(url), timeout=3.0, ntp_servers=ntp, in_container=False, **kwargs)


def checks(report):
    return {c.name: c for c in report.checks}


def codes(report):
    return [f.code for f in report.findings]


@pytest.fixture
def public_name(monkeypatch):
    """A fake resolver: `livekit.example.com` is 127.0.0.1 for this test's event loop (DNS probe, HTTP, WebSocket)."""
    return resolve_to_loopback(monkeypatch, PUBLIC_NAME)


async def test_the_stand_in_sends_a_realistic_join_response_then_an_offer_with_candidates():
    config = StandInConfig(ice_servers=(TURN_URL,))
    async with StandInServer(config) as server:
        token = mint(probe_claims(DEMO_API_KEY, server.config.now()), DEMO_API_SECRET)
        async with connect(f"{server.ws_url}/rtc?access_token={token}") as ws:
            signal = await join.read_after_join(await ws.recv(), ws, time.monotonic() + 3)
            info, why, frames = signal.info, signal.why, signal.frames
        udp_port, tcp_port = server.media.udp_port, server.media.tcp_port
    assert why == ""
    assert (info.edition, info.protocol, info.region, info.node_id) == ("Standard", 16, "lkdebug-stand-in", "ND_lkdebug-stand-in")
    assert info.server_version.startswith("1.13")
    assert (info.ping_interval, info.ping_timeout, info.subscriber_primary) == (5, 15, True)
    [server_entry] = info.ice_servers
    assert ([u.text for u in server_entry.urls], server_entry.username, server_entry.credential) == (
        ["turn:127.0.0.1:3478?transport=udp"], "lk-user", "lk-pass-XYZ")
    join.add_offer(info, frames)
    assert info.offer
    assert {(c.protocol, c.address, c.port, c.tcptype) for c in info.candidates} == {
        ("udp", "127.0.0.1", udp_port, None), ("tcp", "127.0.0.1", tcp_port, "passive")}


async def test_join_check_shows_the_server_and_never_the_turn_credentials(ntp):
    async with StandInServer(StandInConfig(ice_servers=(TURN_URL,))) as server:
        report = await run(server.url, ntp)
    result = checks(report)["join"]
    assert result.status is CheckStatus.PASS, (result.detail, codes(report))
    for shown in ("livekit-server 1.13", "Standard", "protocol 16", "region lkdebug-stand-in", "node ND_lkdebug-stand-in",
                  "ping 5 s / timeout 15 s", "subscriber primary", "turn:127.0.0.1:3478?transport=udp (with credentials)",
                  "UDP 127.0.0.1:", "TCP passive 127.0.0.1:", "TCP connect:"):
        assert shown in result.detail
    everything = " ".join(c.detail for c in report.checks) + " ".join(f.detail + f.title for f in report.findings)
    assert "lk-pass-XYZ" not in everything and "lk-user" not in everything
    assert "media.no_turn" not in codes(report)


async def test_no_turn_offered(ntp, public_name):
    """A warning for a server reached by a public name; none for one on this machine (a dev server)."""
    async with StandInServer() as server:
        local = await run(server.url, ntp)
        public = await run(f"ws://{public_name}:{server.port}", ntp)
    no_turn = next(f for f in public.findings if f.code == "media.no_turn")
    assert no_turn.severity is Severity.WARNING and "turn.enabled: true" in no_turn.fix
    assert checks(public)["turn"].status is CheckStatus.SKIP
    assert "media.no_turn" not in codes(local)


async def test_private_candidates_to_a_client_on_a_public_name(ntp, public_name):
    config = StandInConfig(advertise=("10.0.0.5",), tcp_candidates=False)
    async with StandInServer(config) as server:
        report = await run(f"ws://{public_name}:{server.port}", ntp)
    finding = next(f for f in report.findings if f.code == "media.private_address")
    assert finding.severity is Severity.ERROR
    assert "10.0.0.5" in finding.detail and public_name in finding.detail
    assert "rtc.use_external_ip: true" in finding.fix and "rtc.node_ip" in finding.fix


async def test_private_candidates_are_fine_for_a_client_on_the_same_network(ntp):
    config = StandInConfig(advertise=("10.0.0.5",), tcp_candidates=False)
    async with StandInServer(config) as server:
        report = await run(f"ws://localhost:{server.port}", ntp)
    assert checks(report)["join"].data.candidates[0].address == "10.0.0.5"
    assert "media.private_address" not in codes(report)


async def test_no_tcp_fallback(ntp):
    async with StandInServer(StandInConfig(tcp_candidates=False)) as server:
        report = await run(server.url, ntp)
    finding = next(f for f in report.findings if f.code == "media.no_tcp")
    assert "rtc.tcp_port: 7881" in finding.fix


async def test_no_media_skips_the_media_probes(ntp):
    async with StandInServer() as server:
        report = await run(server.url, ntp, media=False)
    assert all(checks(report)[name].status is CheckStatus.SKIP for name in MEDIA_CHECKS)
    assert not [c for c in codes(report) if c.startswith("media.")]


def _info(*candidates: str, servers=(), target_host="livekit.example.com") -> tuple[join.JoinInfo, Target]:
    info = join.JoinInfo(ping_interval=5, ping_timeout=15, subscriber_primary=True, offer=True,
                         ice_servers=list(servers), candidates=[ice.parse_candidate(c) for c in candidates])
    target, _ = parse_url(f"wss://{target_host}")
    return info, target


def test_public_candidates_to_a_public_name_are_fine():
    info, target = _info("candidate:1 1 udp 1 203.0.113.7 50000 typ host", "candidate:2 1 tcp 1 203.0.113.7 7881 typ host tcptype passive",
                         servers=[ice.server_from_flag("turns:turn.example.com:443?transport=tcp")])
    assert advertised.judge(info, target, {}) == []


def test_loopback_candidates_to_a_lan_client():
    info, target = _info("candidate:1 1 udp 1 127.0.0.1 50000 typ host", target_host="192.168.1.20")
    found = {f.code: f for f in advertised.judge(info, target, {})}
    assert "loopback" in found["media.private_address"].title


def test_turn_tls_on_an_address_and_a_refused_tcp_candidate():
    info, target = _info("candidate:2 1 tcp 1 203.0.113.7 7881 typ host tcptype passive",
                         servers=[ice.server_from_flag("turns:203.0.113.7:443?transport=tcp")])
    found = {f.code: f for f in advertised.judge(info, target, {info.candidates[0]: "refused"})}
    assert set(found) == {"media.turn_tls_name", "media.tcp_unreachable"}
    assert "203.0.113.7:7881 refused" in found["media.tcp_unreachable"].detail


def test_a_zero_ping_interval_is_named():
    info, target = _info("candidate:1 1 udp 1 203.0.113.7 50000 typ host")
    info.ping_interval = 0
    assert "media.ping_zero" in [f.code for f in advertised.judge(info, target, {})]


def test_a_first_message_that_is_not_a_join():
    from livekit.protocol import rtc

    assert join.decode_join(b"\xff\xff\xff")[0] is None
    info, why = join.decode_join(rtc.SignalResponse(pong=1).SerializeToString())
    assert info is None and "`pong`" in why


def test_check_json_carries_the_join_response(tmp_path, capsys):
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
    with NtpResponder() as responder, run_in_thread(StandInConfig(ice_servers=(TURN_URL,))) as server:
        cli.main(["check", "--dir", str(tmp_path), "--url", server.ws_url, "--json", "--timeout", "3",
                  "--ntp-server", f"127.0.0.1:{responder.address[1]}"])
    document = json.loads(capsys.readouterr().out)
    entry = next(c for c in document["checks"] if c["name"] == "join")
    assert entry["join"]["ice_servers"] == [{"urls": ["turn:127.0.0.1:3478?transport=udp"], "credentials": True}]
    assert entry["join"]["ping_interval"] == 5 and entry["join"]["candidates"]
    assert "lk-pass-XYZ" not in json.dumps(document)


@pytest.mark.parametrize(("argv", "message"), [
    (["--relay-only"], "--relay-only goes with --media"),
    (["--media", "--no-network"], "drop --no-network"),
    (["--ice-server", "turn:127.0.0.1", "--no-media"], "which --no-media skips"),
    (["--ice-server", "http://nope"], "is not a stun:, turn: or turns: URL"),
    (["--ice-server", "turn:127.0.0.1", "--ice-password-file", "/nonexistent/pw"], "--ice-password-file"),
])
def test_media_flags_usage_errors(tmp_path, capsys, argv, message):
    assert cli.main(["check", "--dir", str(tmp_path), "--url", "ws://127.0.0.1:9"] + argv) == 2
    assert message in capsys.readouterr().err


def test_stand_in_command_line_keys_and_ice_servers(capsys):
    from lkdebug.demo import server as stand_in

    args = stand_in._parse_args(["--keys", "k1:s1,k2:s2", "--ice-server", TURN_URL, "--advertise", "10.0.0.5", "--no-tcp"])
    assert args.keys == {"k1": "s1", "k2": "s2"} and args.ice_server == [TURN_URL]
    with pytest.raises(SystemExit):
        stand_in._parse_args(["--keys", "no-colon"])
    assert stand_in.main(["--ice-server", "nonsense"]) == 2
    assert "unreadable ICE server URL" in capsys.readouterr().err


def test_no_socket_or_thread_outlives_a_run(ntp):
    """No socket (the TCP connects to candidates, the TURN allocations) or thread (the host probe's) outlives a run."""
    with run_in_thread(StandInConfig(ice_servers=(TURN_URL,))) as server:
        asyncio.run(run(server.url, ntp))  # warm up imports and the thread pool
        before, threads = open_sockets(), set(threading.enumerate())
        asyncio.run(run(server.url, ntp))
        after = open_sockets()
        assert set(threading.enumerate()) <= threads
    assert after <= before


@given(st.binary(max_size=512), st.lists(st.binary(max_size=256), max_size=4))
def test_arbitrary_frames_never_raise(first, frames):
    info, why = join.decode_join(first)
    assert (info is None) == bool(why)
    if info is not None:
        join.add_offer(info, frames)
