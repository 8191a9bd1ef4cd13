"""ICE server URLs and candidates as LiveKit sends them: parsed once, credentials never shown."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lkdebug.core import ice


@pytest.mark.parametrize(("text", "scheme", "host", "port", "transport", "label"), [
    ("turn:turn.example.com:3478?transport=udp", "turn", "turn.example.com", 3478, "udp", "UDP"),
    ("turn:turn.example.com?transport=tcp", "turn", "turn.example.com", 3478, "tcp", "TCP"),
    ("turns:turn.example.com:443?transport=tcp", "turns", "turn.example.com", 443, "tcp", "TLS"),
    ("turns:turn.example.com", "turns", "turn.example.com", 5349, "tcp", "TLS"),
    ("stun:stun.example.com:19302", "stun", "stun.example.com", 19302, "udp", "UDP"),
    ("turn:[2001:db8::1]:3478", "turn", "2001:db8::1", 3478, "udp", "UDP"),
])
def test_ice_urls(text, scheme, host, port, transport, label):
    url, user, password = ice.parse_url(text)
    assert (url.scheme, url.host, url.port, url.transport, url.label) == (scheme, host, port, transport, label)
    assert (user, password, url.text) == ("", "", text)


def test_flag_credentials_come_out_of_the_url_and_are_never_described():
    server = ice.server_from_flag("turn:alice:s3cr%40t@127.0.0.1:3478?transport=tcp")
    assert (server.username, server.credential) == ("alice", "s3cr@t")
    assert server.urls[0].text == "turn:127.0.0.1:3478?transport=tcp"
    assert "alice" not in server.describe() and "s3cr" not in server.describe()
    assert server.describe().endswith("(with credentials)")
    separate = ice.server_from_flag("turn:127.0.0.1", "bob", "pw")
    assert (separate.username, separate.credential, separate.has_credentials) == ("bob", "pw", True)


@pytest.mark.parametrize("text", ["", "http://turn.example.com", "turn:", "turn:host:99999", "turn:host:port"])
def test_unreadable_urls(text):
    assert ice.parse_url(text)[0] is None
    assert ice.server_from_flag(text) is None


def test_join_response_keeps_unreadable_urls_visible():
    server = ice.server_from_message(["turn:good:3478", "nonsense"], "u", "p")
    assert [u.text for u in server.urls] == ["turn:good:3478"]
    assert "nonsense (unreadable)" in server.describe()


def test_candidates_from_sdp_and_trickle():
    sdp = ("v=0\r\na=candidate:1 1 udp 2130706431 203.0.113.7 50000 typ host\r\n"
           "a=candidate:2 1 tcp 1671430143 10.0.0.5 7881 typ host tcptype passive\r\n"
           "a=candidate:3 1 udp 1694498815 198.51.100.2 50001 typ srflx raddr 10.0.0.5 rport 50001\r\n")
    found = ice.candidates_in_sdp(sdp)
    assert [(c.protocol, c.address, c.port, c.type, c.tcptype) for c in found] == [
        ("udp", "203.0.113.7", 50000, "host", None), ("tcp", "10.0.0.5", 7881, "host", "passive"),
        ("udp", "198.51.100.2", 50001, "srflx", None)]
    assert [c.is_private for c in found] == [False, True, False]
    trickled = ice.candidate_from_trickle(json.dumps({"candidate": "candidate:9 1 udp 1 abcd.local 4000 typ host", "sdpMid": "0"}))
    assert trickled.is_private  # an mDNS name only the local network resolves
    assert ice.candidate_from_trickle("not json") is None
    assert ice.candidate_from_trickle(json.dumps({"candidate": ""})) is None


@given(st.text())
def test_arbitrary_text_never_raises(text):
    ice.parse_url(text)
    ice.parse_candidate(text)
    ice.candidate_from_trickle(text)
