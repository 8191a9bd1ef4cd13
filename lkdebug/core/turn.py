"""The TURN probe: allocate a relay on every TURN server and transport a client would use.

A TURN Allocate (RFC 8656) with the join response's credentials is the one request that proves a
client on a UDP-blocking network can get media through: it needs the port open, the protocol right
(TLS on `turns:`), the credentials accepted and the server willing to relay. The STUN/TURN client is
aioice's (`TurnClientUdpProtocol`, `TurnClientTcpProtocol`): the one aiortc uses, maintained, small,
pure Python, with long-term credentials (401 realm/nonce, 438 stale nonce) done right. lkdebug drives
its protocol classes directly instead of `create_turn_endpoint` so it can resolve the name itself,
verify a TLS certificate against the URL's host, and tell a refusal (ICMP, RST) from silence.
Each allocation is deleted again right away.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
import ssl
import time
from collections.abc import Sequence

from lkdebug.core.ice import IceServer, IceUrl
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.target import monotonic_ms
from lkdebug.core.records import dataclass
from lkdebug.core.redact import error_words
from lkdebug.core.replies import one_line, trust_context

DELETE_WAIT_S = 1.0  # giving the relay back is a courtesy: the server frees it when it expires anyway


@dataclass(frozen=True)
class Allocation:
    """What one Allocate on one URL came to."""

    url: IceUrl
    outcome: str  # relay | refused | silent | auth | denied | tls_cert | tls | dns | error
    ms: float | None = None
    relayed: str | None = None
    words: str = ""  # the server's error code and reason, or the local error text (`_said`: never raw)

    def to_dict(self) -> dict:
        """For `check --json`: the URL without its credentials."""
        return {"url": self.url.text, "transport": self.url.label, "outcome": self.outcome, "ms": self.ms,
                "relayed": self.relayed, "words": self.words}

    def describe(self) -> str:
        head = f"{self.url.label} {self.url.where}"
        if self.outcome == "relay":
            return f"{head} relay {self.relayed} in {self.ms:.0f} ms"
        return f"{head} {_OUTCOME_WORDS[self.outcome]}{f' ({self.words})' if self.words else ''}"


@dataclass(frozen=True)
class Relays:
    """The TURN probe's record: what each TURN URL of each server came to."""

    allocations: tuple[Allocation, ...]


_OUTCOME_WORDS = {"refused": "refused", "silent": "no answer", "auth": "401 credentials refused", "denied": "allocation refused",
                  "tls_cert": "certificate not valid for this name", "tls": "TLS handshake failed", "dns": "does not resolve",
                  "error": "failed"}


def _protocols():
    """aioice's TURN client protocols, taught to report a refusal instead of waiting it out."""
    from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol

    class Watched:
        failed: asyncio.Future

        def watch(self) -> None:
            self.failed = asyncio.get_running_loop().create_future()

        def error_received(self, exc: Exception) -> None:  # UDP: the ICMP port unreachable of a closed port
            if not self.failed.done():
                self.failed.set_result(exc)

        def connection_lost(self, exc: Exception | None) -> None:
            if not self.failed.done():
                self.failed.set_result(exc or ConnectionResetError("the server closed the connection"))
            super().connection_lost(exc)

    class Udp(Watched, TurnClientUdpProtocol):
        pass

    class Tcp(Watched, TurnClientTcpProtocol):
        pass

    return Udp, Tcp


def _said(text: str, credential: str) -> str:
    """A TURN server's reason phrase or an error's text, as a finding quotes it: one line, the credential and any
    token masked, a URL's query cut, control characters shown (a reason phrase is whatever the server sends)."""
    return one_line(error_words(text, [credential] if credential else []))


async def _resolve(host: str, port: int, transport: str, remaining: float) -> str:
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=kind), remaining)
    return infos[0][4][0]


async def allocate(url: IceUrl, username: str, credential: str, timeout: float,
                   ssl_context: ssl.SSLContext | None = None) -> Allocation:
    """One Allocate on `url`, bounded by `timeout`; the relay is given back before returning."""
    from aioice import stun

    started = time.monotonic()
    deadline = started + timeout
    left = lambda: max(0.05, deadline - time.monotonic())  # noqa: E731
    try:
        address = await _resolve(url.host, url.port, url.transport, left())
    except (asyncio.TimeoutError, TimeoutError):
        return Allocation(url, "dns", words=f"no answer from the resolver within {timeout:g} s")
    except (socket.gaierror, UnicodeError, OSError) as error:
        return Allocation(url, "dns", words=_said(getattr(error, "strerror", None) or str(error), credential))
    udp_protocol, tcp_protocol = _protocols()
    loop = asyncio.get_running_loop()
    protocol = None
    transport = None
    try:
        if url.transport == "udp":
            protocol = udp_protocol((address, url.port), username, credential, 600, 300)
            protocol.watch()
            transport, _ = await loop.create_datagram_endpoint(lambda: protocol, remote_addr=(address, url.port))
        else:
            protocol = tcp_protocol((address, url.port), username, credential, 600, 300)
            protocol.watch()
            context = trust_context(ssl_context) if url.tls else None
            transport, _ = await asyncio.wait_for(loop.create_connection(
                lambda: protocol, address, url.port, ssl=context, server_hostname=url.host if context else None), left())
        return await _allocate_on(url, protocol, started, left, stun, credential)
    except (asyncio.TimeoutError, TimeoutError):
        return Allocation(url, "silent", words=f"within {timeout:g} s")
    except ssl.SSLCertVerificationError as error:
        return Allocation(url, "tls_cert", words=_said(error.verify_message or str(error), credential))
    except ssl.SSLError as error:
        return Allocation(url, "tls", words=_said(error.reason or str(error), credential))
    except ConnectionRefusedError:
        return Allocation(url, "refused")
    except OSError as error:
        return Allocation(url, "error", words=_said(error.strerror or str(error), credential))
    finally:
        if transport is not None:
            transport.close()


async def _allocate_on(url: IceUrl, protocol, started: float, left, stun, credential: str) -> Allocation:
    request = asyncio.ensure_future(protocol.connect())
    try:
        done, _ = await asyncio.wait({request, protocol.failed}, timeout=left(), return_when=asyncio.FIRST_COMPLETED)
        if request in done:
            relayed = request.result()  # raises the transaction's failure
            ms = monotonic_ms(started)
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError, stun.TransactionError, ConnectionError):
                await asyncio.wait_for(protocol.delete(), min(DELETE_WAIT_S, left()))
            return Allocation(url, "relay", ms, f"{relayed[0]}:{relayed[1]}")
        if protocol.failed in done:
            error = protocol.failed.result()
            if isinstance(error, ConnectionRefusedError):
                return Allocation(url, "refused")
            if isinstance(error, ssl.SSLCertVerificationError):
                return Allocation(url, "tls_cert", words=_said(error.verify_message or str(error), credential))
            if isinstance(error, ssl.SSLError):
                return Allocation(url, "tls", words=_said(error.reason or str(error), credential))
            return Allocation(url, "error", words=_said(str(error), credential) or type(error).__name__)
        return Allocation(url, "silent", words=f"within {monotonic_ms(started) / 1000:.1f} s")
    except stun.TransactionFailed as failure:
        code, reason = failure.response.attributes.get("ERROR-CODE", (0, ""))
        words = _said(f"{code} {reason}".strip(), credential)
        return Allocation(url, "auth" if code == 401 else "denied", monotonic_ms(started), words=words)
    except stun.TransactionTimeout:
        return Allocation(url, "silent", words="no answer to any retransmission")
    finally:
        request.cancel()
        if protocol.refresh_task is not None:
            protocol.refresh_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await request


def _findings(results: Sequence[tuple[IceServer, Allocation]]) -> list[Finding]:
    relayed = any(a.outcome == "relay" for _, a in results)
    # With one relay working, clients fall back to it: the others are worth a warning, not a failure.
    severity = Severity.WARNING if relayed else Severity.ERROR
    findings = []
    for server, a in results:
        where = f"{a.url.text} ({a.url.label})"
        if a.outcome == "auth":
            given = "the credentials the join response carries" if server.source == "join response" else "the credentials given"
            if not server.has_credentials:
                given = "no credentials (none were given)"
            findings.append(Finding("media.turn_auth", severity, "media", f"The TURN server refuses the credentials at {a.url.where}",
                                    f"{where}: Allocate with {given} answered {a.words}.",
                                    "LiveKit's embedded TURN takes the per-participant credentials of the join response; an "
                                    "external TURN server (`rtc.turn_servers`) needs its `username`/`credential` to match that "
                                    "server's users (coturn: `user=` or `static-auth-secret`) and realm."))
        elif a.outcome == "denied":
            findings.append(Finding("media.turn_refused", severity, "media", f"The TURN server refuses to allocate a relay at {a.url.where}",
                                    f"{where}: Allocate answered {a.words}.",
                                    "The TURN server's own limits or policy (quota, allowed peers, relay port range): see its log; "
                                    "for LiveKit's embedded TURN, `turn.relay_range_start`/`relay_range_end`."))
        elif a.outcome in ("tls_cert", "tls"):
            detail = f"{where}: {a.words}."
            if a.outcome == "tls":
                detail += " A port that answers TLS with something else is often a proxy passing 443 on without terminating TLS."
            findings.append(Finding("media.turn_tls_cert" if a.outcome == "tls_cert" else "media.turn_tls", severity, "media",
                                    f"TURN/TLS at {a.url.where} fails its TLS handshake", detail,
                                    "`turn.domain` must be the name of `turn.cert_file`'s certificate (a full chain); behind a "
                                    "load balancer that terminates TLS set `turn.external_tls: true`, and make sure whatever "
                                    "listens on that port terminates TLS or passes it through to LiveKit's TURN."))
        elif a.outcome in ("refused", "silent", "dns", "error"):
            how = {"refused": "refused the connection", "silent": "did not answer", "dns": "does not resolve",
                   "error": "could not be reached"}[a.outcome]
            port = f"{a.url.port}/{'tcp' if a.url.transport == 'tcp' else 'udp'}"
            findings.append(Finding("media.turn_unreachable", severity, "media", f"The TURN server at {a.url.where} {how}",
                                    f"{where}: {a.describe()}.",
                                    f"Open {port} to the TURN server in its firewall or cloud security group and check it runs "
                                    "(LiveKit's embedded TURN: `turn.enabled: true` with `turn.udp_port`/`turn.tls_port`)."))
    return findings


async def probe_turn(servers: Sequence[IceServer], timeout: float, ssl_context: ssl.SSLContext | None = None) -> CheckResult:
    """Every TURN URL of every server at once: relay, refused, silent, 401, allocation refused; with latency."""
    started = time.monotonic()
    await asyncio.to_thread(importlib.import_module, "aioice.turn")  # ~100 ms of imports, off the event loop
    pairs = [(server, url) for server in servers for url in server.urls if url.is_turn]
    if ssl_context is None and any(url.tls for _, url in pairs):  # one trust decision for every turns: URL, off the loop
        ssl_context = await asyncio.to_thread(trust_context)
    allocations = await asyncio.gather(*(allocate(url, s.username, s.credential, timeout, ssl_context) for s, url in pairs))
    results = [(s, a) for (s, _), a in zip(pairs, allocations)]
    findings = _findings(results)
    if any(a.outcome == "relay" for _, a in results):
        findings.insert(0, Finding("media.turn_ok", Severity.OK, "media", "A TURN relay can be allocated",
                                   "; ".join(a.describe() for _, a in results if a.outcome == "relay") + "."))
    worst = min((f.severity for f in findings), key=lambda s: s.rank, default=Severity.OK)
    status = {Severity.ERROR: CheckStatus.FAIL, Severity.WARNING: CheckStatus.WARN}.get(worst, CheckStatus.PASS)
    detail = "; ".join(a.describe() for _, a in results)
    return CheckResult("turn", status, monotonic_ms(started), detail, findings, Relays(tuple(a for _, a in results)))
