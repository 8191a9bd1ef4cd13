"""The stand-in's media side as a client sees it from the signal connection: real sockets, advertised.

livekit-server, when the subscriber connection is primary, sends an `offer` for it right after the
join response and trickles its ICE candidates: a UDP host candidate on its RTC port and a passive TCP
candidate on `rtc.tcp_port`. The stand-in does the same with sockets it really holds (a UDP socket and
a TCP listener on its own host), so a probe that connects to a TCP candidate meets a listener, and the
addresses it advertises can be set apart from where it listens to reproduce a server that advertises
its private address. It runs no ICE, DTLS or SCTP: those sockets read and drop what arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets

SDP_TEMPLATE = """v=0
o=- {session} 2 IN IP4 0.0.0.0
s=lkdebug stand-in for livekit-server
t=0 0
a=fingerprint:sha-256 {fingerprint}
a=extmap-allow-mixed
a=group:BUNDLE 0
a=msid-semantic:WMS *
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=setup:actpass
a=mid:0
a=sendrecv
a=sctp-port:5000
a=ice-ufrag:{ufrag}
a=ice-pwd:{pwd}
a=ice-options:trickle
"""


class _Drop(asyncio.DatagramProtocol):
    """The UDP candidate's socket: datagrams arrive and are dropped (no ICE agent behind it)."""


class MediaSockets:
    """A UDP socket and an ICE/TCP listener on `host`, and the offer and trickles that advertise them."""

    def __init__(self, host: str, advertise: tuple[str, ...] = (), tcp: bool = True):
        self.host = host
        self.advertise = advertise or (host,)
        self.tcp = tcp
        self.udp_port = 0
        self.tcp_port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(_Drop, local_addr=(self.host, 0))
        self.udp_port = self._udp.get_extra_info("sockname")[1]
        if self.tcp:
            self._tcp = await asyncio.start_server(self._hold, self.host, 0)
            self.tcp_port = self._tcp.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._connections):
                writer.close()
            await self._tcp.wait_closed()
            self._tcp = None

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # the peer or the stand-in's stop ended it; this task is the connection's own
        finally:
            self._connections.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    def candidates(self) -> list[str]:
        """RFC 8839 candidate attributes, priorities as pion computes them for host candidates."""
        found = []
        for index, address in enumerate(self.advertise):
            found.append(f"candidate:{index + 1} 1 udp 2130706431 {address} {self.udp_port} typ host")
            if self.tcp:
                found.append(f"candidate:{index + 101} 1 tcp 1671430143 {address} {self.tcp_port} typ host tcptype passive")
        return found

    def offer_frames(self) -> list[bytes]:
        """SignalResponse frames: the subscriber offer and one trickle per candidate, the last marked `final`.

        `final` rides on the last real candidate, not on an empty one: LiveKit's Rust SDK parses every
        candidate it is sent and aborts on an empty string (`SdpParseError ... Expected candidate`).
        """
        from livekit.protocol import rtc

        # No DTLS runs here, so the fingerprint is of no certificate: random, in the form pion writes.
        digest = hashlib.sha256(secrets.token_bytes(32)).hexdigest().upper()
        fingerprint = ":".join(digest[i:i + 2] for i in range(0, 64, 2))
        sdp = SDP_TEMPLATE.format(session=secrets.randbelow(2**62), fingerprint=fingerprint,
                                  ufrag=secrets.token_hex(8), pwd=secrets.token_hex(16))
        frames = [rtc.SignalResponse(offer=rtc.SessionDescription(type="offer", sdp=sdp.replace("\n", "\r\n"), id=1))]
        candidates = self.candidates()
        for index, candidate in enumerate(candidates):
            init = json.dumps({"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": None})
            final = index == len(candidates) - 1
            frames.append(rtc.SignalResponse(trickle=rtc.TrickleRequest(candidateInit=init, target=rtc.SUBSCRIBER, final=final)))
        return [frame.SerializeToString() for frame in frames]
