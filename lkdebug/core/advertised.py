"""Judging what a join response and offer advertise: can a client like this one send media there?

The failures self-hosters meet once the signal connection works (livekit/livekit #3353, #3595,
#3186, #3682): the server advertises its private address because `rtc.use_external_ip` is off on a
cloud VM; no TURN server, so clients on UDP-blocking networks fail; a TURN/TLS URL whose host no
certificate can match; no ICE/TCP (`rtc.tcp_port`) to fall back on. Each finding says the fix in
livekit.yaml's own words.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lkdebug.core.host import is_local_host
from lkdebug.core.model import Finding, Severity

if TYPE_CHECKING:
    from lkdebug.core.ice import Candidate, IceServer
    from lkdebug.core.join import JoinInfo
    from lkdebug.core.target import Target

EXTERNAL_IP_FIX = ("In livekit.yaml set `rtc.use_external_ip: true` (the server finds its public address over STUN) or "
                   "`rtc.node_ip: <the public IP>`, and restart; in Docker use `network_mode: host` so the server "
                   "sees the host's interfaces.")
TURN_FIX = ("Enable LiveKit's embedded TURN in livekit.yaml: `turn.enabled: true`, `turn.domain: turn.example.com` "
            "(a DNS name pointing at this server), `turn.tls_port: 5349` with `turn.cert_file`/`turn.key_file` (or 443 "
            "with `turn.external_tls: true` behind a load balancer that terminates TLS), `turn.udp_port: 3478`; "
            "or list an external TURN server under `rtc.turn_servers`.")


def _media(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code, severity, "media", title, detail, fix)


def _listing(candidates: Sequence[Candidate]) -> str:
    return ", ".join(c.describe() for c in candidates)


def _addresses(info: JoinInfo, target: Target) -> list[Finding]:
    """Private or loopback candidates only, for a client that cannot reach such addresses."""
    media = [c for c in info.candidates if c.type in ("host", "srflx", "prflx")]
    if not media:
        return []
    public_name = not is_local_host(target.host)
    if public_name and all(c.is_private for c in media):
        return [_media("media.private_address", Severity.ERROR, "The server advertises only private addresses for media",
                       f"The client reached the server as {target.host}, a public name, but the offer's candidates are "
                       f"{_listing(media)}: clients outside the server's network cannot send media there "
                       "(`could not establish pc connection`, ICE failed).", EXTERNAL_IP_FIX)]
    if not target.is_loopback and all(c.ip is not None and c.ip.is_loopback for c in media):
        return [_media("media.private_address", Severity.ERROR, "The server advertises only loopback addresses for media",
                       f"The client reached the server as {target.host}, but the offer's candidates are {_listing(media)}: "
                       "only a client on the server's own machine can use them.",
                       "Do not bind livekit-server's RTC to 127.0.0.1 (`--dev` without `--bind 0.0.0.0`, or "
                       "`rtc.node_ip: 127.0.0.1`); set `rtc.node_ip` to an address clients can reach.")]
    return []


def _turn(servers: Sequence[IceServer], target: Target) -> list[Finding]:
    urls = [u for s in servers for u in s.urls]
    turn = [u for u in urls if u.is_turn]
    # A server on this machine or this network (a dev server) needs no relay for the clients that reach
    # it; one reached by a public name does, for clients behind UDP-blocking networks.
    if not turn and not is_local_host(target.host):
        offered = ", ".join(u.text for u in urls) or "no ICE servers at all"
        return [_media("media.no_turn", Severity.WARNING, "The server offers no TURN server",
                       f"The join response lists {offered}. Clients on networks that block UDP (corporate, some mobile "
                       "carriers, VPNs) then have no relay and fail to connect media.", TURN_FIX)]
    findings = []
    for url in turn:
        if url.tls and not _is_name(url.host):
            findings.append(_media("media.turn_tls_name", Severity.WARNING, f"TURN/TLS at {url.where} is an address, not a name",
                                   f"{url.text}: clients check the TURN server's certificate against the URL's host, and "
                                   "certificates are issued for names, so the TLS handshake fails.",
                                   "Set `turn.domain` to the DNS name the certificate is for (`turn.cert_file`/`turn.key_file`, "
                                   "or the load balancer's certificate with `turn.external_tls: true`)."))
    return findings


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _tcp(info: JoinInfo, servers: Sequence[IceServer], reached: Mapping[Candidate, str]) -> list[Finding]:
    tcp = [c for c in info.candidates if c.protocol == "tcp"]
    tcp_turn = [u for s in servers for u in s.urls if u.is_turn and u.transport == "tcp"]
    if not tcp and not tcp_turn:
        return [_media("media.no_tcp", Severity.WARNING, "No TCP fallback for media",
                       "The offer has no TCP candidate and the join response no TURN over TCP or TLS: a client whose "
                       "network blocks UDP has no way to send media.",
                       "Set `rtc.tcp_port: 7881` in livekit.yaml and open 7881/tcp in the firewall or security group "
                       "(ICE over TCP); better still, TURN/TLS on 443 (`turn.tls_port`).")]
    failed = {c: how for c, how in reached.items() if how in ("refused", "timeout")}
    if failed:
        shown = ", ".join(f"{c.where} {how}" for c, how in failed.items())
        return [_media("media.tcp_unreachable", Severity.WARNING, "The server's ICE/TCP port does not connect",
                       f"TCP connect to the advertised TCP candidate(s): {shown}.",
                       "Open `rtc.tcp_port` (7881/tcp by default) in the firewall or cloud security group, "
                       "and check `rtc.node_ip` is the address it listens on.")]
    return []


def judge(info: JoinInfo, target: Target, reached: Mapping[Candidate, str], flag_servers: Sequence[IceServer] = ()) -> list[Finding]:
    """Findings about what this join response and offer advertise to this client."""
    findings = []
    if info.ping_interval <= 0 or info.ping_timeout <= 0:
        findings.append(_media("media.ping_zero", Severity.WARNING, "The join response has no ping interval or timeout",
                               f"ping_interval {info.ping_interval} s, ping_timeout {info.ping_timeout} s: livekit-server "
                               "always sends both (5 s and 15 s); the Rust SDK aborts on 0 (`period must be non-zero`).",
                               "Something other than livekit-server sent this join response: check what answers the URL."))
    findings += _addresses(info, target)
    findings += _turn(info.ice_servers, target)
    if info.offer:
        findings += _tcp(info, list(info.ice_servers) + list(flag_servers), reached)
    elif info.subscriber_primary:
        findings.append(_media("media.no_offer", Severity.WARNING, "The server sent no offer after the join response",
                               "With a primary subscriber connection livekit-server sends its offer right after the join; none came.",
                               "Check the server's log for errors creating the peer connection."))
    return findings
