"""What the server tells a client once the `/rtc` WebSocket is open: the join response and the offer.

The first message after the upgrade is a `SignalResponse{join}` (livekit_rtc.proto): the server's
version, edition, protocol, region and node, the ICE servers the client will use (STUN, TURN with
per-participant credentials), whether the subscriber connection is primary, the ping interval and
timeout. With a primary subscriber the server then sends its `offer` for that connection and trickles
its ICE candidates (`trickle`, target SUBSCRIBER): the addresses and ports media will be sent to.
`read_after_join` collects those frames on the websocket probe's own connection; `probe_join` decodes
them with livekit-protocol and judges what they advertise (`lkdebug.core.advertised`).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Sequence

from lkdebug.core import advertised, ice
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.probes import WebSocketAnswer, _connect, monotonic_ms
from lkdebug.core.records import dataclass, field
from lkdebug.core.replies import one_line
from lkdebug.core.target import Target

# livekit-server sends its subscriber offer within milliseconds of the join; waiting longer only
# delays the run when it never comes. After the offer, candidates trickle in until `final` or a lull.
OFFER_WAIT_S = 2.0
TRICKLE_LULL_S = 0.5
EDITIONS = {0: "Standard", 1: "Cloud"}


@dataclass
class JoinInfo:
    """The join response and the subscriber offer, decoded once for every later step."""

    server_version: str = ""
    edition: str = ""
    protocol: int = 0
    region: str = ""
    node_id: str = ""
    room: str = ""
    ice_servers: list[ice.IceServer] = field(default_factory=list)
    subscriber_primary: bool = False
    ping_interval: int = 0
    ping_timeout: int = 0
    alternative_url: str = ""
    offer: bool = False  # whether the subscriber offer came
    candidates: list[ice.Candidate] = field(default_factory=list)

    def to_dict(self) -> dict:
        """For `check --json`: every field, the ICE servers' URLs and whether credentials came, never the credentials."""
        return {
            "server_version": self.server_version, "edition": self.edition, "protocol": self.protocol, "region": self.region,
            "node_id": self.node_id, "subscriber_primary": self.subscriber_primary, "ping_interval": self.ping_interval,
            "ping_timeout": self.ping_timeout, "alternative_url": self.alternative_url or None,
            "ice_servers": [{"urls": [u.text for u in s.urls] + list(s.unparsed), "credentials": s.has_credentials}
                            for s in self.ice_servers],
            "offer": self.offer,
            "candidates": [{"protocol": c.protocol, "address": c.address, "port": c.port, "type": c.type, "tcptype": c.tcptype,
                            "private": c.is_private} for c in self.candidates],
        }

    def summary(self) -> str:
        server = f"livekit-server {self.server_version or '(no version)'}"
        if self.edition:
            server += f" {self.edition}"
        parts = [server, f"protocol {self.protocol}"]
        if self.region:
            parts.append(f"region {self.region}")
        if self.node_id:
            parts.append(f"node {self.node_id}")
        parts.append(f"ping {self.ping_interval} s / timeout {self.ping_timeout} s")
        parts.append("subscriber primary" if self.subscriber_primary else "publisher primary")
        return ", ".join(parts)


def decode_join(first: bytes) -> tuple[JoinInfo | None, str]:
    """(the join response, "") or (None, why the first message is not one)."""
    from google.protobuf.message import DecodeError
    from livekit.protocol import rtc

    try:
        message = rtc.SignalResponse.FromString(first)
    except DecodeError as error:
        return None, f"the first message is not a LiveKit SignalResponse ({error})"
    kind = message.WhichOneof("message")
    if kind != "join":
        return None, f"the first message is a SignalResponse `{kind or 'empty'}`, not `join`"
    join = message.join
    info = join.server_info
    return JoinInfo(
        server_version=info.version or join.server_version,
        edition=EDITIONS.get(info.edition, str(info.edition)) if join.HasField("server_info") else "",
        protocol=info.protocol,
        region=info.region or join.server_region,
        node_id=info.node_id,
        room=join.room.name,
        ice_servers=[ice.server_from_message(list(s.urls), s.username, s.credential) for s in join.ice_servers],
        subscriber_primary=join.subscriber_primary,
        ping_interval=join.ping_interval,
        ping_timeout=join.ping_timeout,
        alternative_url=join.alternative_url,
    ), ""


def _subscriber_frame(frame: bytes) -> tuple[str | None, object]:
    """("offer", SessionDescription) | ("trickle", TrickleRequest) for the subscriber connection, else (None, None)."""
    from google.protobuf.message import DecodeError
    from livekit.protocol import rtc

    try:
        message = rtc.SignalResponse.FromString(frame)
    except DecodeError:
        return None, None
    kind = message.WhichOneof("message")
    if kind == "offer":
        return kind, message.offer
    if kind == "trickle" and message.trickle.target == rtc.SUBSCRIBER:
        return kind, message.trickle
    return None, None


@dataclass
class Signal:
    """What the websocket probe read: the join response decoded once (or why not) and the frames after it."""

    info: JoinInfo | None
    why: str
    frames: list[bytes] = field(default_factory=list)


async def read_after_join(first: bytes, ws, deadline: float) -> Signal:
    """The join response, and the frames after it that carry the subscriber offer and its candidates.

    Stops at the trickle marked `final`, a lull after the offer, the connection's end or `deadline`
    (time.monotonic()); with a publisher-primary join no offer comes unasked, so nothing is awaited.
    """
    # livekit-protocol costs ~200 ms to import: off the event loop, and as the same `import livekit.api`
    # the server-API probe makes in its thread, so the two wait on one import lock instead of building
    # protobuf's descriptor pool from two threads at once (which leaves it half-built).
    await asyncio.to_thread(importlib.import_module, "livekit.api")
    info, why = decode_join(first)
    signal = Signal(info, why)
    if info is None or not info.subscriber_primary:
        return signal
    frames = signal.frames
    offer_by = min(deadline, time.monotonic() + OFFER_WAIT_S)
    offered = False
    while True:
        until = min(deadline, time.monotonic() + TRICKLE_LULL_S) if offered else offer_by
        try:
            frame = await asyncio.wait_for(ws.recv(), max(0.0, until - time.monotonic()))
        except (asyncio.TimeoutError, TimeoutError):
            return signal
        except Exception:  # the connection ended (websockets' ConnectionClosed): keep what came
            return signal
        if not isinstance(frame, bytes):
            continue
        kind, body = _subscriber_frame(frame)
        if kind is None:
            continue
        frames.append(frame)
        offered = offered or kind == "offer"
        if kind == "trickle" and body.final:
            return signal


def add_offer(info: JoinInfo, frames: Sequence[bytes]) -> None:
    """The candidates of the offer's SDP and of the trickles, each once."""
    seen: set[tuple[str, str, int]] = set()
    for frame in frames:
        kind, body = _subscriber_frame(frame)
        if kind == "offer":
            info.offer = True
            found = ice.candidates_in_sdp(body.sdp)
        elif kind == "trickle" and body.candidateInit:
            candidate = ice.candidate_from_trickle(body.candidateInit)
            found = [candidate] if candidate else []
        else:
            found = []
        for candidate in found:
            key = (candidate.protocol, candidate.address, candidate.port)
            if key not in seen:
                seen.add(key)
                info.candidates.append(candidate)


async def _reach_tcp(candidates: Sequence[ice.Candidate], signal_addresses: Sequence[str], timeout: float) -> dict[ice.Candidate, str]:
    """TCP connect to every passive TCP candidate lkdebug may try: connect time, `refused` or `timeout`.

    A private address other than the ones the URL reached is not tried: from here it is either
    someone else's network or the same host under another name, and either way says nothing new.
    """
    tried = [c for c in candidates if c.protocol == "tcp" and c.tcptype in (None, "passive")
             and (not c.is_private or c.address in signal_addresses or (c.ip is not None and c.ip.is_loopback))]
    outcomes = await asyncio.gather(*(_connect(c.address, c.port, timeout) for c in tried))
    return {c: (f"{o.ms:.0f} ms" if o.error is None else o.error) for c, o in zip(tried, outcomes)}


async def probe_join(upgrade: WebSocketAnswer | None, target: Target, signal_addresses: Sequence[str], timeout: float,
                     flag_servers: Sequence[ice.IceServer] = ()) -> CheckResult:
    """Decode the join response and offer the websocket probe received, and judge what they advertise.

    The record it leaves is the JoinInfo itself (the TURN probe takes its ICE servers, `check --json` shows it)."""
    started = time.monotonic()
    signal = upgrade.signal if upgrade is not None else None
    if signal is None:
        return CheckResult("join", CheckStatus.SKIP, None, "the server's first message was not binary: no join response to read")
    info, why = signal.info, signal.why
    if info is None:
        finding = Finding("media.no_join", Severity.ERROR, "media", "The server's first message is not a join response",
                          f"{target.signal_url}/rtc: {why}.",
                          "Something other than livekit-server answers the WebSocket, or a client/server protocol mismatch: "
                          "check the URL points at livekit-server itself.")
        return CheckResult("join", CheckStatus.FAIL, monotonic_ms(started), one_line(why), [finding])
    add_offer(info, signal.frames)
    reached = await _reach_tcp(info.candidates, signal_addresses, timeout)
    findings = advertised.judge(info, target, reached, flag_servers)
    details = [info.summary(), "ICE servers: " + ("; ".join(s.describe() for s in info.ice_servers) or "none")]
    if info.offer:
        shown = []
        for c in info.candidates:
            reach = f" (TCP connect: {reached[c]})" if c in reached else ""
            shown.append(c.describe() + (" (not public)" if c.is_private else "") + reach)
        details.append("offer candidates: " + ("; ".join(shown) or "none"))
        if any(c.protocol == "udp" for c in info.candidates):
            # A UDP candidate answers only ICE checks carrying the session's credentials: nothing to try without one.
            details.append("UDP candidates answer only inside an ICE session: --media tries them")
    elif info.subscriber_primary:
        details.append(f"no subscriber offer within {min(timeout, OFFER_WAIT_S):g} s")
    if info.alternative_url:
        details.append(f"alternative URL {info.alternative_url}")
    worst = min((f.severity for f in findings), key=lambda s: s.rank, default=Severity.OK)
    status = {Severity.ERROR: CheckStatus.FAIL, Severity.WARNING: CheckStatus.WARN}.get(worst, CheckStatus.PASS)
    return CheckResult("join", status, monotonic_ms(started), " | ".join(details), findings, info)
