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
