"""`check --media`: LiveKit's Python SDK in a child process against the stand-in's aiortc endpoint on 127.0.0.1,
all inside the network namespace tests/test_netns.py makes (run that, or `make test`)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from lkdebug.core import media_join
from lkdebug.core.diagnose import diagnose
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings, Severity
from lkdebug.core.mint import mint
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, StandInServer

from tests import netns
from tests.coturn import PASSWORD, USER, Coturn

# libwebrtc sends from a non-loopback address: the veth pair's, inside a namespace nothing leaves (tests/netns.py).
pytestmark = [pytest.mark.netns, pytest.mark.timeout(120),
              pytest.mark.skipif(not media_join.sdk_available(), reason="needs lkdebug[media] (in the test extras)")]


def settings() -> Settings:
    return Settings(url=None, api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                    api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, "test"),
                    known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, "test")])


def children() -> set[int]:
    """This process's child processes, from /proc (the SDK's child must not outlive a run)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(entry))
    return found


async def media_check(url: str, **kwargs):
    with NtpResponder() as ntp:
        report = await diagnose(settings(), url=url, timeout=5, ntp_servers=[ntp.address], in_container=False,
                                media_join=True, **kwargs)
    return {c.name: c for c in report.checks}, report


@pytest.fixture
def coturn(tmp_path):
    # Loopback peers: the relay forwards to the stand-in's media endpoint on 127.0.0.1.
    server = Coturn(tmp_path, "--allow-loopback-peers").start()
    yield server
    server.stop()


async def test_media_join_connects_and_publishes_on_loopback():
    before = children()
    async with StandInServer() as server:
        checks, report = await media_check(server.url)
    result = checks["media_join"]
    assert result.status is CheckStatus.PASS, result.detail
    assert result.data.steps["connected"] > 0 and result.data.steps["published"] >= result.data.steps["connected"]
    assert result.data.pair["remote"]["address"] == "127.0.0.1"
    assert result.data.pair["local"]["type"] in ("host", "prflx", "srflx")
    assert result.data.pair["local"]["address"] == netns.ADDRESS  # the namespace's veth, never this machine's own
    assert "media.join_ok" in [f.code for f in report.findings]
    assert children() <= before


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_relay_only_goes_through_coturn(coturn, transport):
    turn_url = f"turn:{USER}:{PASSWORD}@127.0.0.1:{coturn.port}?transport={transport}"
    async with StandInServer(StandInConfig(ice_servers=(turn_url,))) as server:
        checks, _ = await media_check(server.url, relay_only=True)
    result = checks["media_join"]
    assert result.status is CheckStatus.PASS, result.detail
    local = result.data.pair["local"]
    assert local["type"] == "relay" and local["relay_protocol"] == transport.upper()
    assert f"via TURN/{transport.upper()}" in result.detail
    assert "(relay only)" in result.detail and PASSWORD not in result.detail


async def test_relay_only_with_turn_stopped_fails_at_ice_in_the_sdks_words(coturn):
    turn_url = f"turn:{USER}:{PASSWORD}@127.0.0.1:{coturn.port}?transport=udp"
    coturn.stop()
    async with StandInServer(StandInConfig(ice_servers=(turn_url,))) as server:
        checks, report = await media_check(server.url, relay_only=True)
    result = checks["media_join"]
    assert result.status is CheckStatus.FAIL
    finding = next(f for f in report.findings if f.code == "media.ice_failed")
    assert finding.severity is Severity.ERROR and "LiveKit's SDK said:" in finding.detail
    assert "failed at ice (relay only)" in result.detail and "wait_pc_connection timed out" in finding.detail
    found = [f.code for f in report.findings]
    assert found.index("media.turn_unreachable") < found.index("media.ice_failed")  # the cause first


async def test_an_sdk_panic_is_media_client_crashed_with_its_last_words():
    async with StandInServer(StandInConfig(ping_interval=0, ping_timeout=0)) as server:
        checks, report = await media_check(server.url)
    finding = next(f for f in report.findings if f.code == "media.client_crashed")
    assert "`period` must be non-zero" in finding.detail and "SIGABRT" in finding.detail
    assert checks["media_join"].status is CheckStatus.FAIL
    assert "media.ping_zero" in [f.code for f in report.findings]  # the join probe names the cause


async def test_cancelling_kills_the_sdk_child():
    before = children()
    async with StandInServer(StandInConfig(delay=0)) as server:
        token = mint(media_join.media_claims(DEMO_API_KEY, time.time()), DEMO_API_SECRET)
        probe = asyncio.ensure_future(media_join.probe_media_join(server.url.replace("http", "ws"), token, 5))
        while not children() - before:  # the child is up
            await asyncio.sleep(0.05)
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
    assert children() <= before


async def test_the_sdks_refusal_of_a_token_is_the_signal_step():
    async with StandInServer() as server:
        token = mint(media_join.media_claims(DEMO_API_KEY, time.time()), "a-secret-the-server-does-not-hold-0123456789")
        result = await media_join.probe_media_join(server.url.replace("http", "ws"), token, 5)
    assert result.status is CheckStatus.FAIL
    assert result.findings[0].code == "media.signal_failed", result.detail
