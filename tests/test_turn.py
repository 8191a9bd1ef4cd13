"""The TURN probe against Debian's coturn on 127.0.0.1 (long-term credentials; TLS with a trustme certificate)."""

from __future__ import annotations

import asyncio

import pytest

from lkdebug.core import ice, turn
from lkdebug.core.diagnose import diagnose
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings, Severity
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, StandInServer
from tests.conftest import open_sockets
from tests.coturn import PASSWORD, TURN_NAME, USER, Coturn
from tests.resolver import resolve_to_loopback

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def turn_name(monkeypatch):
    return resolve_to_loopback(monkeypatch, TURN_NAME)


def server(url: str, user: str = USER, password: str = PASSWORD) -> ice.IceServer:
    return ice.server_from_flag(url, user, password)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_right_credentials_give_a_relay(coturn, transport):
    result = await turn.probe_turn([server(f"turn:127.0.0.1:{coturn.port}?transport={transport}")], 3)
    assert result.status is CheckStatus.PASS, result.detail
    [allocation] = result.data.allocations
    assert allocation.outcome == "relay" and allocation.relayed.startswith("127.0.0.1:")
    assert allocation.ms > 0 and f"{transport.upper()} 127.0.0.1:{coturn.port} relay" in result.detail
    assert [f.code for f in result.findings] == ["media.turn_ok"]


async def test_tls_with_a_certificate_for_the_name(coturn, turn_name):
    result = await turn.probe_turn([server(f"turns:{turn_name}:{coturn.tls_port}?transport=tcp")], 3, coturn.client_context())
    assert result.status is CheckStatus.PASS, result.detail
    assert f"TLS {turn_name}:{coturn.tls_port} relay" in result.detail


async def test_tls_to_a_host_the_certificate_is_not_for(coturn):
    result = await turn.probe_turn([server(f"turns:127.0.0.1:{coturn.tls_port}?transport=tcp")], 3, coturn.client_context())
    [finding] = result.findings
    assert (finding.code, finding.severity) == ("media.turn_tls_cert", Severity.ERROR)
    assert "127.0.0.1" in finding.detail and "turn.domain" in finding.fix


async def test_tls_spoken_to_a_plain_http_port(coturn, turn_name):
    """`turns:` on a port where a web server answers in plain HTTP (a proxy on 443 that is not TLS-terminating)."""
    async with StandInServer() as plain:
        result = await turn.probe_turn([server(f"turns:{turn_name}:{plain.port}?transport=tcp")], 3, coturn.client_context())
    assert [f.code for f in result.findings] == ["media.turn_tls"]
    assert "proxy" in result.findings[0].detail


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_wrong_credentials_are_media_turn_auth(coturn, transport):
    result = await turn.probe_turn([server(f"turn:127.0.0.1:{coturn.port}?transport={transport}", password="wrong")], 3)
    [finding] = result.findings
    assert (finding.code, finding.severity) == ("media.turn_auth", Severity.ERROR)
    assert "401 Unauthorized" in finding.detail and "wrong" not in finding.detail + result.detail


async def test_one_working_transport_makes_the_others_warnings(coturn):
    working = server(f"turn:127.0.0.1:{coturn.port}?transport=udp")
    broken = server(f"turn:127.0.0.1:{coturn.port}?transport=tcp", password="wrong")
    result = await turn.probe_turn([working, broken], 3)
    assert result.status is CheckStatus.WARN
    assert {(f.code, f.severity) for f in result.findings} == {("media.turn_ok", Severity.OK), ("media.turn_auth", Severity.WARNING)}


async def test_stopped_turn_is_unreachable_within_the_timeout(tmp_path):
    stopped = Coturn(tmp_path).start()
    stopped.stop()
    urls = [f"turn:127.0.0.1:{stopped.port}?transport=udp", f"turn:127.0.0.1:{stopped.port}?transport=tcp",
            f"turns:127.0.0.1:{stopped.tls_port}?transport=tcp"]
    # A refused port answers at once; the wait only turns a hang into a failure (no speed claim).
    result = await asyncio.wait_for(turn.probe_turn([server(u) for u in urls], 2), 60)
    assert [f.code for f in result.findings] == ["media.turn_unreachable"] * 3
    assert {a.outcome for a in result.data.allocations} == {"refused"}


async def test_a_silent_turn_port_is_unreachable():
    loop = asyncio.get_running_loop()
    sink, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    try:
        port = sink.get_extra_info("sockname")[1]
        result = await turn.probe_turn([server(f"turn:127.0.0.1:{port}?transport=udp")], 1)
    finally:
        sink.close()
    [finding] = result.findings
    assert finding.code == "media.turn_unreachable" and "did not answer" in finding.title


async def test_cancelling_ends_every_socket_and_task():
    loop = asyncio.get_running_loop()
    sink, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    port = sink.get_extra_info("sockname")[1]
    before = open_sockets()
    tasks_before = asyncio.all_tasks()
    probe = asyncio.ensure_future(turn.probe_turn([server(f"turn:127.0.0.1:{port}?transport=udp"),
                                                   server(f"turn:127.0.0.1:{port}?transport=tcp")], 30))
    while open_sockets() <= before:  # mid-run: the probe holds a socket (the silent sink keeps the UDP one open)
        await asyncio.sleep(0.01)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    await asyncio.sleep(0)  # let the closed transports run their connection_lost callbacks
    sink.close()
    assert open_sockets() <= before
    assert asyncio.all_tasks() - tasks_before == set()


async def test_check_allocates_with_the_join_responses_credentials(coturn):
    good = f"turn:{USER}:{PASSWORD}@127.0.0.1:{coturn.port}?transport=udp"
    bad = f"turn:{USER}:nope@127.0.0.1:{coturn.port}?transport=tcp"
    settings = Settings(url=Setting("LIVEKIT_URL", "", "test"), api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                        api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, "test"),
                        known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, "test")])
    with NtpResponder() as ntp:
        async with StandInServer(StandInConfig(ice_servers=(good,))) as stand_in:
            report = await diagnose(settings, url=stand_in.url, timeout=3, ntp_servers=[ntp.address], in_container=False)
            flagged = await diagnose(settings, url=stand_in.url, timeout=3, ntp_servers=[ntp.address], in_container=False,
                                     ice_servers=[ice.server_from_flag(bad)])
    checks = {c.name: c for c in report.checks}
    assert checks["turn"].status is CheckStatus.PASS, checks["turn"].detail
    assert "media.turn_ok" in [f.code for f in report.findings]
    # --ice-server replaces the join response's servers.
    assert [a.outcome for a in {c.name: c for c in flagged.checks}["turn"].data.allocations] == ["auth"]
    assert "media.turn_auth" in [f.code for f in flagged.findings]
