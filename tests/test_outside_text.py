"""Text from outside (a TURN server's reason phrase, the SDK child's error, a crashed probe's message) reaches a
finding masked, its control characters shown and no URL's query quoted: hostile peers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from lkdebug.core import ice, turn
from lkdebug.core.mint import build_claims, mint

pytestmark = pytest.mark.timeout(90)

CREDENTIAL = "turn-credential-0123456789"
ANSI = "\x1b[2J\x1b[31m"


def _jwt() -> str:
    return mint(build_claims(api_key="APIhostile", identity="x", video={"roomJoin": True, "room": "r"}, now=time.time()),
                "hostile-secret-0123456789abcdef")


def _signature(token: str) -> str:
    return token.rsplit(".", 1)[1]


def _assert_clean(text: str, token: str) -> None:
    assert "\x1b" not in text and "\\x1b[2J" in text  # shown, not obeyed
    assert _signature(token) not in text
    assert "access_token=" not in text


class _HostileTurn(asyncio.DatagramProtocol):
    """Answers every Allocate with 403 and a reason phrase that holds escapes, the credential, a token and a URL."""

    def __init__(self, reason: str):
        self.reason = reason

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        from aioice import stun

        request = stun.parse_message(data)
        response = stun.Message(request.message_method, stun.Class.ERROR, request.transaction_id,
                                {"ERROR-CODE": (403, self.reason)})
        self.transport.sendto(bytes(response), addr)


async def test_a_turn_servers_reason_phrase_is_shown_not_obeyed():
    token = _jwt()
    reason = f"{ANSI}Forbidden for {CREDENTIAL}, see https://turn.example/why?access_token={token}"
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _HostileTurn(reason), local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        result = await turn.probe_turn([ice.server_from_flag(f"turn:127.0.0.1:{port}?transport=udp", "alice", CREDENTIAL)], 3)
    finally:
        transport.close()
    [allocation] = result.data.allocations
    assert allocation.outcome == "denied", allocation
    [finding] = result.findings
    assert finding.code == "media.turn_refused"
    for text in (finding.detail, result.detail, allocation.words):
        _assert_clean(text, token)
        assert CREDENTIAL not in text and "Forbidden for" in text


async def test_the_sdk_childs_error_is_shown_not_obeyed():
    """LiveKit's SDK quotes the body of a refused signal connection in its error: here a hostile server's."""
    from aiohttp import web

    from lkdebug.core import media_join

    if not media_join.sdk_available():
        pytest.skip("needs lkdebug[media] (in the test extras)")
    token = _jwt()
    body = f"{ANSI}denied; retry at wss://lk.example/rtc?access_token={token}&auto_subscribe=1"

    async def refuse(_request):
        return web.Response(status=401, text=body)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        result = await media_join.probe_media_join(f"ws://127.0.0.1:{runner.addresses[0][1]}", _jwt(), 5)
    finally:
        await runner.cleanup()
    [finding] = result.findings
    assert finding.code == "media.signal_failed", result.detail
    assert "denied; retry at wss://lk.example/rtc?…" in finding.detail
    for text in (finding.detail, result.detail):
        _assert_clean(text, token)


async def test_a_crashed_probe_is_one_line_that_says_it_is_a_bug(monkeypatch):
    """A probe that raises with the request in its message: the finding says bug and LKDEBUG_DEBUG=1, never the query."""
    from lkdebug.core import probes
    from lkdebug.core.diagnose import diagnose
    from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
    from lkdebug.demo.ntp import NtpResponder
    from lkdebug.demo.server import StandInServer

    token = _jwt()

    async def crashing_probe(target, *args):
        raise RuntimeError(f"{ANSI}GET {target.api_url}/rtc/validate?access_token={token}&secret=x\nnext line")

    monkeypatch.setattr(probes, "probe_validate", crashing_probe)
    monkeypatch.delenv("LKDEBUG_DEBUG", raising=False)
    settings = Settings(api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                        api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, "test"),
                        known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, "test")])
    async with StandInServer() as server:
        with NtpResponder() as ntp:
            report = await diagnose(settings, url=server.url, timeout=3, ntp_servers=[ntp.address], in_container=False,
                                    media=False)
            validate = next(c for c in report.checks if c.name == "validate")
            assert validate.status is CheckStatus.FAIL
            [finding] = [f for f in report.findings if f.code == "lkdebug.probe_crashed"]
            for text in (finding.detail, validate.detail):
                _assert_clean(text, token)
                assert "\n" not in text and "RuntimeError" in text and "/rtc/validate?…" in text
            assert "bug in lkdebug" in finding.detail and "LKDEBUG_DEBUG=1" in finding.fix
            assert {c.name: c.status for c in report.checks}["http"] is CheckStatus.PASS  # the run went on

            monkeypatch.setenv("LKDEBUG_DEBUG", "1")  # what the finding tells the user to do: the traceback
            with pytest.raises(BaseExceptionGroup) as raised:
                await diagnose(settings, url=server.url, timeout=3, ntp_servers=[ntp.address], in_container=False, media=False)
    assert raised.group_contains(RuntimeError)
