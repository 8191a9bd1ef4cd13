"""Network probes: one LiveKit URL, checked layer by layer, each probe with its own timeout.

URL -> DNS -> TCP -> TLS -> HTTP `GET /`, `/rtc/validate`, the `/rtc` WebSocket upgrade and the
server API (Twirp ListRooms). Every probe returns a CheckResult whose `detail` is one line of
evidence and whose findings say what it means. The URL and the token they aim at are core/target.py's;
reading what the server answered (its own words, kept verbatim after `redact.scrub`) is core/replies.py's.

`diagnose.py` decides the order and what runs concurrently; nothing here sleeps or retries.
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from lkdebug.core import host, server_rules
from lkdebug.core import url as livekit_url
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.records import dataclass, replace
from lkdebug.core.redact import scrub
from lkdebug.core.replies import (GATEWAY_STATUS, HttpAnswer, LINE_TOO_LONG, TOO_MANY_HEADERS, answer_text,
                                  bad_response, era_text, error_text, http_failure, http_get, http_session, not_livekit, one_line,
                                  server_words, tls_error, tls_finding, trust_context, upstream_failed, verdict_findings)
from lkdebug.core.target import Target, TokenToTest, monotonic_ms

if TYPE_CHECKING:
    from lkdebug.core.join import Signal

LIVEKIT_DEFAULT_PORT = livekit_url.LIVEKIT_PORT
CERT_EXPIRY_WARNING_DAYS = 14
# Handshakes the TLS probe makes at once: every address of a name behind DNS round robin, up to this many.
TLS_ADDRESS_CAP = 8

# OpenSSL's wording when the peer answers a ClientHello with plain HTTP (A11, G8).
_PLAIN_PORT_SIGNS = ("wrong version number", "record layer failure", "packet length too long", "http request", "unknown protocol")


# ---- DNS and TCP ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DnsAnswer:
    """What the URL's host resolves to (the host itself when it is an address), for the probes after DNS."""

    addresses: tuple[str, ...]


async def probe_dns(target: Target, timeout: float) -> CheckResult:
    """Every address the name resolves to (IPv4 and IPv6), or the resolver's own error."""
    started = time.monotonic()
    try:
        ipaddress.ip_address(target.host)
        return CheckResult("dns", CheckStatus.PASS, monotonic_ms(started), f"{target.host} is an address: nothing to resolve",
                           data=DnsAnswer((target.host,)))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        why = f"no answer from the resolver within {timeout:g} s"
    except (socket.gaierror, UnicodeError, OSError) as error:
        why = getattr(error, "strerror", None) or str(error)
    else:
        addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
        return CheckResult("dns", CheckStatus.PASS, monotonic_ms(started), f"{target.host} -> {', '.join(addresses)}",
                           data=DnsAnswer(addresses))
    fix = ("Check the spelling and the DNS record of the host. Inside Docker Compose use the service name "
           "(e.g. ws://livekit:7880); from a container to the host, host.docker.internal.")
    finding = Finding("net.dns", Severity.ERROR, "network", f"{target.host} does not resolve", f"{target.host}: {why}", fix)
    return CheckResult("dns", CheckStatus.FAIL, monotonic_ms(started), f"{target.host}: {why}", [finding])



@dataclass(frozen=True)
class Connect:
    """One TCP connect: its time, or why it failed."""

    address: str
    ms: float | None = None
    error: str | None = None  # "refused" | "timeout" | other text


@dataclass(frozen=True)
class TcpConnects:
    """A connect to every address the host resolves to, for TLS (which checks every one that connected)."""

    connects: tuple[Connect, ...]

    @property
    def reachable(self) -> list[str]:
        return [c.address for c in self.connects if c.error is None]



async def _connect(address: str, port: int, timeout: float) -> Connect:
    started = time.monotonic()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return Connect(address, error="timeout")
    except ConnectionRefusedError:
        return Connect(address, error="refused")
    except OSError as error:
        return Connect(address, error=error.strerror or str(error))
    ms = monotonic_ms(started)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return Connect(address, ms)



async def probe_tcp(target: Target, addresses: Sequence[str], timeout: float, in_container: bool | None = None) -> CheckResult:
    """Connect to every address at once: connect time each, and refused told apart from silence."""
    started = time.monotonic()
    results = await asyncio.gather(*(_connect(a, target.port, timeout) for a in addresses))
    where = lambda r: f"{r.address}:{target.port}" if ":" not in r.address else f"[{r.address}]:{target.port}"  # noqa: E731
    parts = [f"{where(r)} {r.ms:.0f} ms" if r.error is None else f"{where(r)} {r.error}" for r in results]
    data = TcpConnects(tuple(results))
    failed = [r for r in results if r.error is not None]
    if not failed:
        return CheckResult("tcp", CheckStatus.PASS, monotonic_ms(started), "; ".join(parts), data=data)
    severity = Severity.ERROR if len(failed) == len(results) else Severity.WARNING
    findings = []
    for kind in dict.fromkeys(r.error for r in failed):
        those = ", ".join(where(r) for r in failed if r.error == kind)
        findings.append(_tcp_finding(kind, those, target, timeout, severity))
    if severity is Severity.WARNING:
        findings = [Finding(f.code, f.severity, f.area, f.title,
                            f.detail + " Other addresses of the name connect; clients that try only the first "
                            "address (Node before v20 with localhost -> ::1) fail.", f.fix) for f in findings]
    if severity is Severity.ERROR and target.is_loopback and (host.in_container() if in_container is None else in_container):
        # A guess, never above the measured refusal: it is right only if the server runs elsewhere.
        findings.append(Finding(
            "net.localhost_in_container", Severity.WARNING, "network",
            f"{target.host} inside a container is the container itself",
            "lkdebug runs inside a container and nothing there answers: if livekit-server runs on the host "
            "or in another container, localhost does not reach it.",
            "Use the Compose service name (ws://livekit:7880) or host.docker.internal:7880; with `--dev`, "
            "start livekit-server with --bind 0.0.0.0.",
        ))
    status = CheckStatus.FAIL if severity is Severity.ERROR else CheckStatus.WARN
    return CheckResult("tcp", status, monotonic_ms(started), "; ".join(parts), findings, data)



def _tcp_finding(kind: str, where: str, target: Target, timeout: float, severity: Severity) -> Finding:
    if kind == "refused":
        return Finding(
            "net.refused", severity, "network", f"Connection refused on {where}",
            f"{where} answered with a TCP reset: the host is up, but nothing listens on port {target.port}.",
            f"Start livekit-server, or fix the port (LiveKit listens on {LIVEKIT_DEFAULT_PORT} by default). "
            "`livekit-server --dev` binds 127.0.0.1 only: add --bind 0.0.0.0 to reach it from elsewhere; "
            "in Docker, publish the port (-p 7880:7880).",
        )
    if kind == "timeout":
        return Finding(
            "net.timeout", severity, "network", f"No answer from {where} within {timeout:g} s",
            f"Connecting to {where} got neither an accept nor a refusal: packets are dropped on the way.",
            "A firewall or cloud security group drops the port, or the host is down. Open the port "
            "(7880/tcp, or 443 behind a proxy) and check the host is up.",
        )
    return Finding("net.unreachable", severity, "network", f"{where} is unreachable", f"{where}: {kind}",
                   "Check the address and this machine's network route to it (IPv6 without a route is common).")


# ---- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """What lkdebug read of the server's certificate (CN and O of its subject and issuer)."""

    subject: str
    issuer: str
    not_after: float | None  # unix seconds


@dataclass(frozen=True)
class TlsAnswer:
    """The handshake: its protocol and certificate; or, when the verifier refused it, OpenSSL's code (and the
    certificate, when `cryptography` could read it)."""

    version: str | None
    certificate: Certificate | None
    days_left: float | None = None
    verify_code: int | None = None
    addresses: tuple[TlsAddress, ...] = ()  # every address checked, when the name has more than one


@dataclass(frozen=True)
class TlsAddress:
    """One address's handshake, in a name with several: its outcome, its row text, its findings' codes."""

    address: str
    status: CheckStatus
    detail: str
    codes: tuple[str, ...]
    duration_ms: float | None

    def to_dict(self) -> dict:
        return {"address": self.address, "status": self.status.value, "detail": self.detail, "findings": list(self.codes),
                "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1)}


def _name(rdns: Sequence) -> str:
    """'CN=livekit.example.com, O=Example' from getpeercert()'s nested tuples."""
    short = {"commonName": "CN", "organizationName": "O", "countryName": "C"}
    pairs = [(short.get(k, k), v) for rdn in rdns for k, v in rdn]
    return ", ".join(f"{k}={v}" for k, v in pairs if k in ("CN", "O"))



def _der_summary(der: bytes) -> Certificate | None:
    """Subject, issuer and expiry of a certificate the verifier refused (stdlib cannot decode it then).

    `cryptography` is optional here: without it the failure is still classified, only less described.
    """
    try:
        from cryptography import x509
    except ImportError:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        not_after = cert.not_valid_after_utc
    except Exception:  # a certificate too broken to describe: the verifier's message stands alone
        return None
    return Certificate(cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), not_after.timestamp())



async def _handshake(host: str, address: str, port: int, context: ssl.SSLContext, timeout: float):
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(address, port, ssl=context, server_hostname=host, ssl_handshake_timeout=timeout), timeout
    )
    ssl_object = writer.get_extra_info("ssl_object")
    result = (ssl_object.version(), ssl_object.getpeercert(), ssl_object.getpeercert(binary_form=True))
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, ssl.SSLError):
        pass
    return result



async def _speaks_plain_http(address: str, port: int, timeout: float) -> str | None:
    """The status line if the port answers plain HTTP, else None."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (OSError, asyncio.TimeoutError, TimeoutError):
        return None
    try:
        writer.write(b"GET / HTTP/1.0\r\nHost: lkdebug\r\n\r\n")
        line = await asyncio.wait_for(reader.readline(), timeout)
    except (OSError, asyncio.TimeoutError, TimeoutError):
        line = b""
    finally:
        writer.close()
    text = line.decode("latin-1").strip()
    return text if text.startswith("HTTP/") else None



async def probe_tls(target: Target, addresses: Sequence[str], timeout: float, now: Callable[[], float],
                    ssl_context: ssl.SSLContext | None = None) -> CheckResult:
    """Every address the name has (up to TLS_ADDRESS_CAP), handshaken at once: a node behind DNS round robin with a
    bad certificate fails one connection in N, which a check of the first address alone never sees.

    One finding per cause: a fault every address shares is said once; one only some addresses have names
    them. The row's record is the first good address's handshake, with every address's outcome in `addresses`.
    """
    started = time.monotonic()
    context = trust_context(ssl_context)
    distinct = list(dict.fromkeys(addresses))
    checked = distinct[:TLS_ADDRESS_CAP]
    results = await asyncio.gather(*(_tls_at(target, address, timeout, now, context) for address in checked))
    left_out = f" (the first {len(checked)} of {len(distinct)} addresses)" if len(distinct) > len(checked) else ""
    if len(results) == 1:
        only = results[0]
        only.duration_ms, only.detail = monotonic_ms(started), only.detail + left_out
        return only
    nodes = tuple(TlsAddress(a, r.status, r.detail, tuple(f.code for f in r.findings), r.duration_ms)
                  for a, r in zip(checked, results))
    good = [r for r in results if r.status is not CheckStatus.FAIL]
    status = CheckStatus.FAIL if not good else CheckStatus.PASS if all(r.status is CheckStatus.PASS for r in results) else CheckStatus.WARN
    record = (good[0] if good else results[0]).payload(TlsAnswer) or TlsAnswer(None, None)
    return CheckResult("tls", status, monotonic_ms(started), _grouped_details(checked, results) + left_out,
                       _per_cause(target, checked, results), replace(record, addresses=nodes))


def _grouped_details(addresses: Sequence[str], results: Sequence[CheckResult]) -> str:
    """'127.0.0.1, ::1: TLSv1.3, CN=…; 127.0.0.2: certificate has expired' (one group when every address agrees)."""
    groups: dict[str, list[str]] = {}
    for address, result in zip(addresses, results):
        groups.setdefault(result.detail, []).append(address)
    if len(groups) == 1:
        return f"{results[0].detail} (all {len(addresses)} addresses: {', '.join(addresses)})"
    return "; ".join(f"{', '.join(where)}: {detail}" for detail, where in groups.items())


def _per_cause(target: Target, addresses: Sequence[str], results: Sequence[CheckResult]) -> list[Finding]:
    """One finding per code across the addresses: said once when every address has it, else naming the ones that do."""
    causes: dict[str, list[tuple[str, Finding]]] = {}
    for address, result in zip(addresses, results):
        for finding in result.findings:
            causes.setdefault(finding.code, []).append((address, finding))
    total = len(addresses)
    out = []
    for found in causes.values():
        first = found[0][1]
        where = [address for address, _ in found]
        others = "".join(f" On {address}: {f.detail}" for address, f in found[1:] if f.detail != first.detail)
        if len(where) == total:
            out.append(replace(first, detail=f"{first.detail}{others} Every address of {target.host} has it: {', '.join(where)}."))
            continue
        fine = [a for a in addresses if a not in where]
        out.append(replace(
            first, title=f"{first.title} (on {', '.join(where)}: {len(where)} of {total} addresses)",
            detail=f"{first.detail}{others} {', '.join(where)} {'has' if len(where) == 1 else 'have'} it, {', '.join(fine)} "
                   f"{'does' if len(fine) == 1 else 'do'} not: clients that reach {'that address' if len(where) == 1 else 'those'} "
                   "(DNS round robin across nodes, or IPv6 before IPv4) fail, the rest connect, so "
                   "`could not establish signal connection` comes and goes.",
            fix=f"{first.fix or ''} Each node (address) behind the name serves its own certificate: fix it on "
                f"{', '.join(where)}, or take {'that address' if len(where) == 1 else 'those'} out of DNS.".strip()))
    return out


async def _tls_at(target: Target, address: str, timeout: float, now: Callable[[], float],
                  context: ssl.SSLContext) -> CheckResult:
    """One address's handshake: protocol, subject, issuer, expiry and hostname match; failures sorted into
    what users meet (A11)."""
    started = time.monotonic()
    where = f"{target.host}:{target.port}"
    try:
        version, cert, _ = await _handshake(target.host, address, target.port, context, timeout)
    except ssl.SSLCertVerificationError as error:
        return await _tls_refused_cert(target, address, timeout, now, error, started)
    except ssl.SSLError as error:
        text = error.reason or str(error)
        status_line = None
        if any(sign in str(error).lower() for sign in _PLAIN_PORT_SIGNS) or isinstance(error, ssl.SSLEOFError):
            status_line = await _speaks_plain_http(address, target.port, timeout)
        if status_line:
            plain = f"{'ws' if target.scheme == 'wss' else 'http'}://{target.netloc}{target.prefix}"
            finding = Finding(
                "net.tls_plain_port", Severity.ERROR, "network", f"TLS spoken to a plain-HTTP port ({where})",
                f"The TLS handshake failed ({text}) and the same port answers plain HTTP ({status_line!r}): "
                "browsers say SSL_ERROR_RX_RECORD_TOO_LONG.",
                f"Either use {plain} (no TLS), or put a TLS-terminating proxy (Caddy, nginx) in front of "
                f"LiveKit's port {LIVEKIT_DEFAULT_PORT} and point the URL at it.",
            )
            return CheckResult("tls", CheckStatus.FAIL, monotonic_ms(started), f"{text}; port answers {status_line!r}", [finding])
        return CheckResult("tls", CheckStatus.FAIL, monotonic_ms(started), one_line(str(error)), [tls_finding(target, error)])
    except (asyncio.TimeoutError, TimeoutError):
        finding = Finding("net.timeout", Severity.ERROR, "network", f"No TLS answer from {where} within {timeout:g} s",
                          f"{where} accepted the connection but did not complete a TLS handshake.",
                          "A proxy or firewall holds the connection; check the port really serves TLS.")
        return CheckResult("tls", CheckStatus.FAIL, monotonic_ms(started), f"no handshake within {timeout:g} s", [finding])
    except OSError as error:
        finding = Finding("net.closed", Severity.ERROR, "network", f"{where} closed the connection during the TLS handshake",
                          f"{where}: {error.strerror or error}", "Check that this port serves TLS (a proxy may expect SNI for another name).")
        return CheckResult("tls", CheckStatus.FAIL, monotonic_ms(started), one_line(str(error)), [finding])
    not_after = ssl.cert_time_to_seconds(cert["notAfter"]) if cert.get("notAfter") else None
    days = None if not_after is None else (not_after - now()) / 86400
    certificate = Certificate(_name(cert.get("subject", ())), _name(cert.get("issuer", ())), not_after)
    expiry = "" if not_after is None else f", expires {datetime.fromtimestamp(not_after, timezone.utc):%Y-%m-%d} ({days:.0f} days)"
    detail = f"{version}, {certificate.subject}, issued by {certificate.issuer}{expiry}, hostname matches"
    findings = []
    if days is not None and days < CERT_EXPIRY_WARNING_DAYS:
        findings.append(Finding("net.tls_expiring", Severity.WARNING, "network", f"The certificate of {where} expires in {days:.0f} days",
                                detail, "Renew it (check that certbot/Caddy renewal runs)."))
    return CheckResult("tls", CheckStatus.WARN if findings else CheckStatus.PASS, monotonic_ms(started), detail, findings,
                       TlsAnswer(version, certificate, days))



async def _tls_refused_cert(target: Target, address: str, timeout: float, now: Callable[[], float],
                            error: ssl.SSLCertVerificationError, started: float) -> CheckResult:
    described = ""
    summary = None
    try:
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # only to describe the certificate the verifier refused
        _, _, der = await _handshake(target.host, address, target.port, insecure, timeout)
        summary = _der_summary(der) if der else None
    except (OSError, ssl.SSLError, asyncio.TimeoutError, TimeoutError):
        pass
    if summary is not None and summary.not_after is not None:
        expiry = datetime.fromtimestamp(summary.not_after, timezone.utc)
        days = (summary.not_after - now()) / 86400
        described = f" Certificate: {summary.subject}, issued by {summary.issuer}, expires {expiry:%Y-%m-%d} ({days:.0f} days)."
    message = error.verify_message or str(error)
    return CheckResult("tls", CheckStatus.FAIL, monotonic_ms(started), one_line(f"{message}.{described}"),
                       [tls_finding(target, error, described)], TlsAnswer(None, summary, verify_code=error.verify_code))


# ---- HTTP -----------------------------------------------------------------------------------


async def probe_http(target: Target, timeout: float, now: Callable[[], float], ssl_context: ssl.SSLContext | None = None,
                     secrets: Sequence[str] = ()) -> CheckResult:
    """`GET /`: a LiveKit node answers `200 OK` (or `406 Not Ready`). Keeps the `Date` header for the clock check."""
    started = time.monotonic()
    try:
        answer = await http_get(target.api_url + "/", timeout, now, ssl_context)
    except Exception as error:  # aiohttp's errors have no common base with TimeoutError
        result = http_failure("http", error, target, timeout, "GET /")
        result.duration_ms = monotonic_ms(started)
        return result
    body = answer.body.strip()
    shown = answer_text(answer, secrets)
    # The answer is the record (its Date header and send and receive times are the clock judgement's), its body scrubbed.
    kept = HttpAnswer(answer.status, scrub(answer.body, list(secrets)), answer.headers, answer.sent, answer.received)
    if answer.status == 200 and body == "OK":
        return CheckResult("http", CheckStatus.PASS, monotonic_ms(started), "GET / -> 200 'OK': a LiveKit node", data=kept)
    if answer.status == 406 and body.startswith("Not Ready"):
        finding = Finding("server.not_ready", Severity.WARNING, "server", "The LiveKit node says it is not ready",
                          f"GET / answered {shown}: the node's stats are stale, so it takes no new rooms.",
                          "Check the server's log and its Redis connection (a multi-node setup needs Redis).")
        return CheckResult("http", CheckStatus.WARN, monotonic_ms(started), f"GET / -> {shown}", [finding], kept)
    finding = not_livekit(target, "GET /", answer, shown, secrets)
    return CheckResult("http", CheckStatus.FAIL, monotonic_ms(started), f"GET / -> {shown}", [finding], kept)


# ---- /rtc/validate --------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidateAnswer:
    """What /rtc/validate answered (the body scrubbed of secrets), and what lkdebug predicted it would."""

    status: int
    body: str
    era: str | None  # the server era its wording names
    reason: str | None  # server_rules' reason for the answer; None when it is not the server's wording
    date: str | None
    predicted: server_rules.Verdict | None


async def probe_validate(target: Target, token: TokenToTest, timeout: float, now: Callable[[], float],
                         ssl_context: ssl.SSLContext | None = None, secrets: Sequence[str] = ()) -> CheckResult:
    """`GET /rtc/validate?access_token=…`: the server's verdict in its own words (reference §2.4)."""
    started = time.monotonic()
    url = f"{target.api_url}/rtc/validate?access_token={quote(token.raw, safe='')}"
    try:
        answer = await http_get(url, timeout, now, ssl_context)
    except Exception as error:
        result = http_failure("validate", error, target, timeout, "/rtc/validate")
        result.duration_ms = monotonic_ms(started)
        return result
    shown = answer_text(answer, secrets)
    reason = server_rules.reason_of(answer.body)
    data = ValidateAnswer(answer.status, scrub(answer.body, list(secrets)), server_rules.recognise_era(answer.body.strip()),
                          reason, answer.date, token.predicted)
    if reason is None:  # not the server's wording, whatever the status: something else answers
        finding = not_livekit(target, "GET /rtc/validate", answer, shown, secrets)
        return CheckResult("validate", CheckStatus.FAIL, monotonic_ms(started), f"-> {shown}", [finding], data)
    findings = verdict_findings(answer.status, answer.body, token, secrets, "/rtc/validate")
    status = CheckStatus.PASS if answer.status == 200 else CheckStatus.FAIL
    if status is CheckStatus.PASS and any(f.severity is Severity.WARNING for f in findings):
        status = CheckStatus.WARN
    era = era_text(answer.body)
    whose = "minted token (hidden identity)" if token.minted else "your token"
    return CheckResult("validate", status, monotonic_ms(started), f"{whose} -> {shown}{f' ({era})' if era else ''}", findings, data)


# ---- /rtc WebSocket -------------------------------------------------------------------------


@dataclass(frozen=True)
class WebSocketAnswer:
    """The /rtc upgrade: 101 with its first message (and what `after_first` read on, for the join probe), or the
    refusal's status and, when the server's words give one, server_rules' reason."""

    status: int
    reason: str | None = None
    first_message_bytes: int | None = None
    signal: Signal | None = None


async def probe_websocket(target: Target, token: TokenToTest, timeout: float, ssl_context: ssl.SSLContext | None = None,
                          secrets: Sequence[str] = (), after_first: Callable | None = None) -> CheckResult:
    """The `/rtc` upgrade a client SDK makes: 101 and a first binary frame, or why not (G5, G8).

    `after_first(first, ws, deadline)` reads on while the connection is open (the join response and
    the offer after it); what it returns is handed over as the record's `signal`.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidMessage, InvalidStatus, SecurityError, TooManyHeaders, WebSocketException

    started = time.monotonic()
    deadline = started + timeout
    where = f"{target.signal_url}/rtc"
    url = f"{target.signal_url}/rtc?access_token={quote(token.raw, safe='')}&auto_subscribe=0&sdk=python&protocol=16"
    ssl_arg = trust_context(ssl_context) if target.secure else None
    try:
        async with connect(url, ssl=ssl_arg, open_timeout=timeout, close_timeout=1, proxy=None,
                           user_agent_header="lkdebug", max_size=2**22) as ws:
            upgraded_ms = monotonic_ms(started)
            try:
                first = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
            except (asyncio.TimeoutError, TimeoutError):
                finding = Finding("net.ws_no_message", Severity.WARNING, "network", "The signal connection opened but the server sent nothing",
                                  f"{where}: 101 after {upgraded_ms:.0f} ms, then no first message within {timeout:g} s "
                                  "(clients report `signal connection timed out while waiting for the first message`).",
                                  "The server cannot start the session: check its log (Redis, node limits).")
                return CheckResult("websocket", CheckStatus.WARN, monotonic_ms(started), "101 Switching Protocols, no first message", [finding])
            signal = None
            if after_first is not None and isinstance(first, bytes):
                signal = await after_first(first, ws, deadline)
    except InvalidStatus as error:
        return _refused_upgrade(target, token, error.response.status_code, bytes(error.response.body or b""),
                                dict(error.response.headers), secrets, started)
    except (asyncio.TimeoutError, TimeoutError):
        finding = Finding("net.timeout", Severity.ERROR, "network", "The WebSocket handshake did not complete",
                          f"{where}: no handshake answer within {timeout:g} s (clients say `room connection has timed out (signal)`).",
                          "A proxy holds the upgrade request: check it forwards WebSockets to LiveKit.")
        return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), f"no handshake within {timeout:g} s", [finding])
    except (WebSocketException, OSError, EOFError) as error:
        if isinstance(error, InvalidMessage) and isinstance(error.__cause__, SecurityError):  # too many headers, a line too long
            why = TOO_MANY_HEADERS if isinstance(error.__cause__, TooManyHeaders) else LINE_TOO_LONG
            result = bad_response("websocket", target, "the /rtc upgrade", why)
            result.duration_ms = monotonic_ms(started)
            return result
        refused = tls_error(error)
        if refused is not None:  # the TLS probe's finding, word for word: one cause, said once
            finding = tls_finding(target, refused)
            return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), one_line(finding.detail), [finding])
        text = error_text(error, target)
        finding = Finding("net.closed", Severity.ERROR, "network", "The WebSocket handshake failed", f"{where}: {text}",
                          "A proxy or firewall drops the upgrade; check it forwards WebSockets to LiveKit.")
        return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), text, [finding])
    kind = "binary" if isinstance(first, bytes) else "text"
    detail = f"101 Switching Protocols in {upgraded_ms:.0f} ms; first message: {len(first)} bytes ({kind})"
    return CheckResult("websocket", CheckStatus.PASS, monotonic_ms(started), detail,
                       data=WebSocketAnswer(101, first_message_bytes=len(first), signal=signal))



def _refused_upgrade(target: Target, token: TokenToTest, status: int, body_bytes: bytes, headers: dict, secrets: Sequence[str],
                     started: float) -> CheckResult:
    body = body_bytes.decode("utf-8", "replace")
    answer = HttpAnswer(status, body, headers, 0.0, 0.0)
    shown = answer_text(answer, secrets)
    reason = server_rules.reason_of(body)
    detail = f"upgrade refused: {shown}"
    if reason is not None:
        # The same middleware and checks as /rtc/validate: the validate probe explains it.
        findings = verdict_findings(status, body, token, secrets, "/rtc (WebSocket)")
        return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), detail, findings, WebSocketAnswer(status, reason))
    if status in (200, 400) or (status == 404 and not body.strip()):
        meaning = ("a page where the upgrade was expected" if status != 404 else
                   "what livekit-server answers on /rtc when the Upgrade header never reached it")
        finding = Finding(
            "net.proxy_no_upgrade", Severity.ERROR, "network",
            "A proxy in front of LiveKit is not forwarding the Upgrade and Connection headers",
            f"{target.signal_url}/rtc answered {shown}: {meaning}. Clients say `room connection has timed out (signal)`.",
            "nginx: `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";` "
            "in the location that proxies LiveKit; Caddy's reverse_proxy does it by itself.",
        )
        return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), detail, [finding], WebSocketAnswer(status))
    finding = not_livekit(target, "the /rtc upgrade", answer, shown, secrets)
    return CheckResult("websocket", CheckStatus.FAIL, monotonic_ms(started), detail, [finding], WebSocketAnswer(status))


# ---- Server API (Twirp) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApiAnswer:
    """RoomService.ListRooms: the HTTP status, and the rooms listed (200) or server_rules' reason for a refusal."""

    status: int
    rooms: int | None = None
    reason: str | None = None


async def probe_server_api(target: Target, api_token: str, timeout: float, now: Callable[[], float],
                           ssl_context: ssl.SSLContext | None = None, secrets: Sequence[str] = ()) -> CheckResult:
    """RoomService.ListRooms through livekit-api with a roomList token minted from the settings (A18)."""
    started = time.monotonic()
    # livekit-api costs ~250 ms to import: do it off the event loop so the other probes keep moving.
    api = await asyncio.to_thread(importlib.import_module, "livekit.api")
    from google.protobuf.message import DecodeError  # a dependency of livekit-api, loaded with it
    try:
        async with http_session(timeout, ssl_context, target.secure) as session:
            client = api.LiveKitAPI(url=target.api_url, token=api_token, session=session, failover=False)
            # livekit-api passes timeout=None per request, which lifts the session's timeout: bound it here.
            response = await asyncio.wait_for(client.room.list_rooms(api.ListRoomsRequest()), timeout)
    except api.ServerError as error:
        return await _api_denied(target, api_token, error, timeout, now, ssl_context, secrets, started)
    except DecodeError as error:
        finding = Finding("net.not_livekit", Severity.ERROR, "network", f"{target.api_url}/twirp/ does not reach LiveKit's server API",
                          f"RoomService.ListRooms got a 200 answer that is not a ListRoomsResponse ({error}).",
                          "Something other than livekit-server answers /twirp/: a proxy must forward /twirp/ to LiveKit.")
        return CheckResult("server_api", CheckStatus.FAIL, monotonic_ms(started), "200, but not a Twirp answer", [finding])
    except Exception as error:
        result = http_failure("server_api", error, target, timeout, "the server API")
        result.duration_ms = monotonic_ms(started)
        return result
    rooms = len(response.rooms)
    return CheckResult("server_api", CheckStatus.PASS, monotonic_ms(started),
                       f"RoomService.ListRooms -> {rooms} room(s)",
                       [Finding("server.api_ok", Severity.OK, "server", "The server API accepts the settings' key and secret",
                                f"RoomService.ListRooms answered with {rooms} room(s).")], ApiAnswer(200, rooms))



async def _api_denied(target: Target, api_token: str, error, timeout: float, now: Callable[[], float],
                      ssl_context: ssl.SSLContext | None, secrets: Sequence[str], started: float) -> CheckResult:
    where = "RoomService.ListRooms"
    if error.status == 404:
        finding = Finding("net.not_livekit", Severity.ERROR, "network", f"{target.api_url}/twirp/ does not reach LiveKit's server API",
                          f"{where} answered 404 ({error.code}{': ' + error.message if error.message else ''}).",
                          "A proxy in front of LiveKit must forward /twirp/ too, not only /rtc.")
        return CheckResult("server_api", CheckStatus.FAIL, monotonic_ms(started), f"404 {error.code}", [finding], ApiAnswer(404))
    if error.status in GATEWAY_STATUS and not error.message:  # livekit-server's own errors are Twirp JSON
        finding = upstream_failed(target, where, error.status, None)
        return CheckResult("server_api", CheckStatus.FAIL, monotonic_ms(started), f"{error.status} {GATEWAY_STATUS[error.status]}",
                           [finding], ApiAnswer(error.status))
    words = error.message
    how = "the server said"
    if not words:
        # livekit-api drops the plain-text 401 body; the same token at /rtc/validate gets the same middleware's words.
        try:
            answer = await http_get(f"{target.api_url}/rtc/validate?access_token={quote(api_token, safe='')}", timeout, now, ssl_context)
            words, how = answer.body, "livekit-api hides the server's text; /rtc/validate with the same token says"
        except Exception:  # the API's status alone still tells the story
            words, how = f"HTTP {error.status}", "livekit-api hides the server's text"
    reason = server_rules.reason_of(words)
    words = server_words(words, secrets)
    if error.message:  # a Twirp JSON error: the middleware accepted the token, the method refused it
        fix = "The token is valid but lacks the grant: ListRooms needs video.roomList."
    elif reason in ("expired", "not_yet_valid"):
        fix = "The key and secret are fine; the server's clock and this machine's disagree: see the clock findings."
    else:
        fix = "The key or secret in the settings is not one this server accepts: see the finding about the key above."
    finding = Finding("server.api_denied", Severity.ERROR, "server", f"The server API refuses the settings' credentials ({error.status})",
                      f"{where}: {how}: {words!r}.", fix)
    return CheckResult("server_api", CheckStatus.FAIL, monotonic_ms(started), f"{error.status} {words!r}", [finding],
                       ApiAnswer(error.status, reason=reason))
