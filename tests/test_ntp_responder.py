"""The loopback NTP responder answers real SNTP clients with the offset it was given."""

from __future__ import annotations

import socket
import struct

import ntplib
import pytest

from lkdebug.demo.ntp import NTP_EPOCH_OFFSET, NtpResponder, reply_for
from tests.conftest import FROZEN_NOW

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("offset", [0.0, 2.5, -3600.0])
def test_ntplib_measures_the_configured_offset(version, offset):
    with NtpResponder(offset=offset) as responder:
        host, port = responder.address
        answer = ntplib.NTPClient().request(host, port=port, version=version, timeout=5)
    assert abs(answer.offset - offset) < 0.5
    assert (answer.mode, answer.stratum, answer.version) == (4, 2, version)


def test_silent_reads_but_never_answers():
    with NtpResponder(silent=True) as responder:
        host, port = responder.address
        with pytest.raises(ntplib.NTPException):
            ntplib.NTPClient().request(host, port=port, timeout=0.3)
        assert responder.requests == 1


def test_reply_echoes_the_client_transmit_time_and_uses_the_given_clock():
    client_transmit = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    request = bytes([(0 << 6) | (4 << 3) | 3]) + bytes(39) + client_transmit
    reply = reply_for(request, FROZEN_NOW + 10, FROZEN_NOW + 10.5)
    assert reply is not None and len(reply) == 48
    assert reply[0] & 0x7 == 4 and reply[1] == 2
    assert reply[24:32] == client_transmit
    receive_s, transmit_s = struct.unpack("!I4xI4x", reply[32:48])
    assert receive_s - NTP_EPOCH_OFFSET == int(FROZEN_NOW + 10)
    assert transmit_s - NTP_EPOCH_OFFSET == int(FROZEN_NOW + 10.5)


@pytest.mark.parametrize(
    "request_bytes",
    [b"", b"\x1b" * 47, bytes([(4 << 3) | 4]) + bytes(47), bytes([(0 << 3) | 3]) + bytes(47)],
    ids=["empty", "short", "server-mode", "version-0"],
)
def test_anything_but_a_client_request_gets_no_reply(request_bytes):
    assert reply_for(request_bytes, FROZEN_NOW, FROZEN_NOW) is None


def test_garbage_does_not_stop_it_answering():
    with NtpResponder(offset=1.0) as responder:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"hello", responder.address)
        host, port = responder.address
        assert abs(ntplib.NTPClient().request(host, port=port, timeout=5).offset - 1.0) < 0.5


def test_injected_clock_drives_the_answer():
    with NtpResponder(offset=5.0, clock=lambda: FROZEN_NOW) as responder:
        host, port = responder.address
        answer = ntplib.NTPClient().request(host, port=port, timeout=5)
    assert answer.tx_time == pytest.approx(FROZEN_NOW + 5.0, abs=1e-6)
