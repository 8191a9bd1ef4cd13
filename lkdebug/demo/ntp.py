"""A loopback SNTP responder with a chosen clock offset, so the clock checks run without the internet.

It answers RFC 4330 client requests (48 bytes, mode 3) with a server reply (mode 4, stratum 2)
whose receive and transmit timestamps are its own clock plus `offset`, and echoes the client's
transmit timestamp as the originate timestamp, as an NTP client expects. With `silent=True` it
reads every request and answers none: an NTP server blocked by a firewall. With `kiss="RATE"` (or
DENY, RSTR...) it answers every request with a Kiss-o'-Death (RFC 5905 §7.4): stratum 0, the code in
the reference id, no timestamps but the echoed originate, as public pools do to clients that ask too often.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Callable

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
_PACKET = struct.Struct("!BBbbII4s8s8s8s8s")  # RFC 4330 §4 header, without extensions
_MODE_CLIENT, _MODE_SERVER = 3, 4
_STRATUM = 2
_PRECISION = -20  # about a microsecond, log2 seconds
_REFERENCE_ID = b"LKDB"  # not an upstream address: says plainly this is lkdebug's stand-in


def _ntp_timestamp(unix: float) -> bytes:
    seconds = unix + NTP_EPOCH_OFFSET
    whole = int(seconds)
    return struct.pack("!II", whole & 0xFFFFFFFF, int((seconds - whole) * 2**32) & 0xFFFFFFFF)


def reply_for(request: bytes, received: float, transmit: float, kiss: str | None = None) -> bytes | None:
    """The server's answer to one datagram, or None when it is not an SNTP client request.

    `received` and `transmit` are the responder's clock (offset already applied) when the request
    arrived and when the reply leaves; with `kiss`, the answer is that Kiss-o'-Death instead.
    """
    if len(request) < _PACKET.size:
        return None
    first = request[0]
    version, mode = (first >> 3) & 0x7, first & 0x7
    if mode != _MODE_CLIENT or not 1 <= version <= 4:
        return None
    poll = request[2]
    client_transmit = request[40:48]
    if kiss is not None:
        zero = bytes(8)
        return _PACKET.pack((3 << 6) | (version << 3) | _MODE_SERVER, 0, poll if poll < 128 else 0, _PRECISION, 0, 0,
                            kiss.encode("ascii")[:4].ljust(4, b"\0"), zero, client_transmit, zero, zero)
    return _PACKET.pack(
        (0 << 6) | (version << 3) | _MODE_SERVER,  # leap indicator 0: no warning
        _STRATUM,
        poll if poll < 128 else 0,
        _PRECISION,
        0,  # root delay
        0x0000_0100,  # root dispersion, 1/256 s in NTP short format
        _REFERENCE_ID,
        _ntp_timestamp(received - 16),  # reference: when it last "synchronised"
        client_transmit,  # originate = the client's transmit timestamp, echoed
        _ntp_timestamp(received),
        _ntp_timestamp(transmit),
    )


class NtpResponder:
    """UDP on `host`, a random port unless given; `offset` seconds added to its clock."""

    def __init__(
        self,
        offset: float = 0.0,
        silent: bool = False,
        kiss: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ):
        self.offset = offset
        self.silent = silent
        self.kiss = kiss
        self.requests = 0  # datagrams received, answered or not: lets a test see a silent server was asked
        self.asked = threading.Event()  # set at the first datagram: a test waits on it instead of polling
        self._clock = clock
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self.address: tuple[str, int] = self._sock.getsockname()
        # A socketpair wakes the select() on stop(); closing a UDP socket does not.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="lkdebug-ntp-stand-in", daemon=True)

    def start(self) -> NtpResponder:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._wake_writer.send(b"x")
            self._thread.join()
        for sock in (self._sock, self._wake_reader, self._wake_writer):
            sock.close()

    def __enter__(self) -> NtpResponder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _now(self) -> float:
        return self._clock() + self.offset

    def _serve(self) -> None:
        while True:
            readable, _, _ = select.select([self._sock, self._wake_reader], [], [])
            if self._wake_reader in readable:
                return
            try:
                request, peer = self._sock.recvfrom(1024)
            except OSError:
                continue  # e.g. ICMP port unreachable from an earlier reply's client
            self.requests += 1
            self.asked.set()
            received = self._now()
            if self.silent:
                continue
            reply = reply_for(request, received, self._now(), self.kiss)
            if reply is not None:
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    continue
