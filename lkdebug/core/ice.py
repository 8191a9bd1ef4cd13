"""ICE servers and candidates as LiveKit hands them to a client, parsed once into small types.

An ICE server URL is RFC 7064/7065's `stun:`/`turn:`/`turns:` form (`turns:turn.example.com:443?transport=tcp`);
`--ice-server` also takes `turn:USER:PASS@host:port` so a server can be given on one flag. A candidate
is RFC 8839's `candidate:` attribute, as it comes in an SDP `a=candidate:` line or a trickle message.
Credentials are kept for the TURN probe and never rendered: `IceServer.describe()` says only whether
they were given.
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import unquote

from lkdebug.core.records import dataclass

DEFAULT_PORTS = {"stun": 3478, "turn": 3478, "turns": 5349}
TRANSPORTS = ("udp", "tcp")
_URL = re.compile(r"(?P<scheme>stuns?|turns?):(?://)?(?:(?P<user>[^:@/]*):(?P<password>[^@/]*)@)?"
                  r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:?/\[\]@]+)(?::(?P<port>\d{1,5}))?/?(?:\?(?P<query>.*))?\Z")
_URL_USERINFO = re.compile(r"^((?:stuns?|turns?):(?://)?)[^@/?]*@")


@dataclass(frozen=True)
class IceUrl:
    """One URL of an ICE server: which protocol, where, over what."""

    text: str
    scheme: str  # stun | turn | turns
    host: str
    port: int
    transport: str  # udp | tcp; what `?transport=` says, or the scheme's default

    @property
    def is_turn(self) -> bool:
        return self.scheme in ("turn", "turns")

    @property
    def tls(self) -> bool:
        return self.scheme == "turns"

    @property
    def label(self) -> str:
        """UDP, TCP or TLS: the three ways a client reaches a TURN server."""
        return "TLS" if self.tls else self.transport.upper()

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class IceServer:
    """An `ICEServer` of the join response (or of `--ice-server`): its URLs and credentials."""

    urls: tuple[IceUrl, ...]
    username: str = ""
    credential: str = ""
    source: str = "join response"  # or "--ice-server"
    unparsed: tuple[str, ...] = ()  # URLs lkdebug could not read, shown as they came

    @property
    def has_credentials(self) -> bool:
        return bool(self.username or self.credential)

    def describe(self) -> str:
        """The URLs and whether credentials came with them; never the credentials themselves."""
        texts = [u.text for u in self.urls] + [f"{text} (unreadable)" for text in self.unparsed]
        return f"{', '.join(texts)} ({'with' if self.has_credentials else 'no'} credentials)"


def parse_url(text: str) -> tuple[IceUrl | None, str, str]:
    """(the URL, user, password) from `turn:[USER:PASS@]host[:port][?transport=udp|tcp]`; None if unreadable."""
    match = _URL.match(text.strip())
    if not match:
        return None, "", ""
    scheme = match["scheme"].lower()
    if scheme == "stuns":
        scheme = "stun"
    transport = "tcp" if scheme == "turns" else "udp"
    for pair in (match["query"] or "").split("&"):
        name, _, value = pair.partition("=")
        if name.lower() == "transport" and value.lower() in TRANSPORTS:
            transport = value.lower()
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        return None, "", ""
    host = match["host"].strip("[]")
    # A username in the URL is how `--ice-server` carries one; it is never part of what is shown.
    shown = _URL_USERINFO.sub(r"\1", text.strip())
    return IceUrl(shown, scheme, host, port, transport), unquote(match["user"] or ""), unquote(match["password"] or "")


def server_from_flag(text: str, username: str = "", credential: str = "") -> IceServer | None:
    """`--ice-server URL`: credentials from the URL's `USER:PASS@`, else from `--ice-user`/`--ice-password-file`."""
    url, user, password = parse_url(text)
    if url is None:
        return None
    return IceServer((url,), user or username, password or credential, "--ice-server")


def server_from_message(urls: list[str], username: str, credential: str) -> IceServer:
    parsed, unparsed = [], []
    for text in urls:
        url, _, _ = parse_url(text)
        if url is None:
            unparsed.append(text)
        else:
            parsed.append(url)
    return IceServer(tuple(parsed), username, credential, "join response", tuple(unparsed))


_LOCAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))


@dataclass(frozen=True)
class Candidate:
    """One ICE candidate the server advertises (RFC 8839 §5.1)."""

    foundation: str
    component: int
    protocol: str  # udp | tcp
    priority: int
    address: str
    port: int
    type: str  # host | srflx | prflx | relay
    tcptype: str | None = None  # passive | active | so, TCP only

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(self.address)
        except ValueError:
            return None  # an mDNS name (….local), which only the local network can resolve

    @property
    def is_private(self) -> bool:
        """Reachable only from this host or its local network: loopback, RFC 1918, link-local, CGNAT, ULA, mDNS.

        Listed rather than `not ip.is_global`, which also counts the documentation ranges (203.0.113.0/24)
        that examples and tests use for public addresses.
        """
        ip = self.ip
        return ip is None or ip.is_loopback or ip.is_link_local or ip.is_unspecified or any(ip in n for n in _LOCAL_NETWORKS)

    @property
    def where(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def describe(self) -> str:
        kind = self.protocol.upper() + (f" {self.tcptype}" if self.tcptype else "")
        return f"{kind} {self.where} {self.type}"


def parse_candidate(text: str) -> Candidate | None:
    """`candidate:1 1 udp 2130706431 203.0.113.7 50000 typ host …`, with or without `a=`; None if unreadable."""
    text = text.strip().removeprefix("a=").removeprefix("candidate:")
    parts = text.split()
    if len(parts) < 8 or parts[6] != "typ":
        return None
    try:
        component, priority, port = int(parts[1]), int(parts[3]), int(parts[5])
    except ValueError:
        return None
    extras = dict(zip(parts[8::2], parts[9::2]))
    protocol = parts[2].lower()
    return Candidate(parts[0], component, protocol, priority, parts[4], port, parts[7].lower(),
                     extras.get("tcptype") if protocol == "tcp" else None)


def candidates_in_sdp(sdp: str) -> list[Candidate]:
    return [c for line in sdp.splitlines() if line.startswith("a=candidate:") and (c := parse_candidate(line))]


def candidate_from_trickle(candidate_init: str) -> Candidate | None:
    """A `TrickleRequest.candidateInit`: the JSON of an RTCIceCandidateInit, whose `candidate` is the attribute."""
    try:
        init = json.loads(candidate_init)
    except ValueError:
        return None
    text = init.get("candidate") if isinstance(init, dict) else None
    return parse_candidate(text) if isinstance(text, str) and text else None
