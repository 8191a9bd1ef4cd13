"""Clock checks: this machine against NTP and against the LiveKit server's own `Date` header.

livekit-server accepts `nbf` and `exp` with 60 s of leeway (server_rules.LEEWAY_S), so what matters
is the difference between the clock of the host that mints tokens and the clock of the server that
checks them. NTP alone (what `ntpdate -q` prints) misses the case where the *server* is off; the
`Date` header alone has 1 s resolution. lkdebug reads both and says which clock is wrong.

Offsets are "this machine minus the other clock": positive means this machine is ahead.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
from collections.abc import Callable, Sequence

from lkdebug.core import host, server_rules
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.records import dataclass
from lkdebug.core.server_rules import LEEWAY_S
from lkdebug.core.threads import DAEMON_THREADS

DEFAULT_NTP_SERVERS: tuple[tuple[str, int], ...] = (
    ("pool.ntp.org", 123),
    ("time.google.com", 123),
    ("time.cloudflare.com", 123),
)
# Node's TokenVerifier allows only this much (reference §5): worth a warning well inside 60 s.
NODE_VERIFIER_LEEWAY_S = 10
# RFC 5905 §7.4 kiss codes a server sends instead of the time.
KISS_CODES = {
    "RATE": "you asked too often; it rate-limits this address",
    "DENY": "access denied by the server's policy",
    "RSTR": "access denied by the server's policy",
    "NKEY": "no key, or the key is not trusted",
    "AUTH": "authentication failed",
    "CRYP": "cryptographic authentication failed",
    "STEP": "the server's clock just stepped",
    "INIT": "the server has not synchronised yet",
}
# The TTL `lk token create` gives by default: the token that suffers first when clocks drift.
LK_DEFAULT_TTL_S = 300


def parse_ntp_server(text: str) -> tuple[str, int]:
    """`HOST`, `HOST:PORT`, `[IPv6]:PORT` or a bare IPv6 address -> (host, port); ValueError with a message."""
    text = text.strip()
    host, port = text, "123"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: expected [IPv6]:PORT")
        port = rest[1:] or "123"
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host:
        raise ValueError(f"{text!r}: no host name")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return host, int(port)


@dataclass(frozen=True)
class NtpAnswer:
    server: str  # "host:port" as asked
    offset: float | None = None  # this machine minus NTP time, seconds
    delay: float | None = None  # the round trip, seconds
    error: str | None = None


@dataclass(frozen=True)
class NtpResult:
    """The NTP probe's record: every server's answer, and their median offset (None when none answered)."""

    answers: tuple[NtpAnswer, ...]
    offset: float | None = None


class _NtpReply(asyncio.DatagramProtocol):
    """The first datagram from the server (the socket is connected to it), or the ICMP error it caused."""

    def __init__(self, reply: asyncio.Future[tuple[bytes, float]]):
        self.reply = reply

    def datagram_received(self, data: bytes, addr) -> None:
        if not self.reply.done():
            self.reply.set_result((data, time.time()))  # ntplib's arithmetic is in time.time()

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)


async def _lookup(host: str, port: int) -> tuple[int, tuple]:
    """(family, address) for UDP. A name is resolved in a daemon thread (core/threads.py): a hung resolver
    must not keep Ctrl+C or the TUI's exit waiting."""
    try:
        ipaddress.ip_address(host)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_NUMERICHOST)
    except ValueError:
        lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_DGRAM)
        infos = await asyncio.get_running_loop().run_in_executor(DAEMON_THREADS, lookup)
    family, _, _, _, address = infos[0]
    return family, address


async def _ntp_request(host: str, port: int):
    """One SNTP exchange (RFC 4330) on an asyncio UDP socket: cancelling it abandons nothing that blocks."""
    import ntplib  # only `check` and the Connectivity tab pay for it (packet format and the offset arithmetic)

    family, address = await _lookup(host, port)
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[tuple[bytes, float]] = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(lambda: _NtpReply(reply), remote_addr=address,
                                                       family=family)
    try:
        query = ntplib.NTPPacket(mode=3, version=3, tx_timestamp=ntplib.system_to_ntp_time(time.time()))
        transport.sendto(query.to_data())
        data, received = await reply
    finally:
        transport.close()
    stats = ntplib.NTPStats()
    stats.from_data(data)
    stats.dest_timestamp = ntplib.system_to_ntp_time(received)
    return stats


def _unusable(stats) -> str | None:
    """Why a reply carries no time: a Kiss-o'-Death (stratum 0, RFC 5905 §7.4), an unsynchronised server."""
    if stats.stratum == 0:
        # Four ASCII letters by the RFC; a hostile server's bytes are shown as '?', never sent to a terminal.
        code = "".join(c if c.isprintable() else "?" for c in stats.ref_id.to_bytes(4, "big").decode("latin-1").strip("\x00 "))
        meaning = KISS_CODES.get(code, "the server refuses to give the time")
        return f"refused with a Kiss-o'-Death ({code or 'no code'}: {meaning}); no time in that reply"
    if stats.leap == 3:
        return "answered, but says its own clock is not synchronised (leap indicator 3)"
    if stats.mode not in (4, 5) or stats.tx_timestamp == 0:
        return f"answered with something that is not an NTP server reply (mode {stats.mode})"
    return None


async def ask_ntp(host: str, port: int, timeout: float, now: Callable[[], float] = time.time) -> NtpAnswer:
    """One SNTP query, bounded by `timeout` including the name lookup."""
    name = f"{host}:{port}"
    try:
        stats = await asyncio.wait_for(_ntp_request(host, port), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return NtpAnswer(name, error=f"no answer within {timeout:g} s (UDP port {port} blocked, or no NTP server there)")
    except ConnectionRefusedError:
        return NtpAnswer(name, error=f"nothing listens on UDP port {port} there (port unreachable)")
    except Exception as error:  # NTPException (a short packet), socket.gaierror, OSError: all mean "no offset"
        return NtpAnswer(name, error=str(error) or type(error).__name__)
    why = _unusable(stats)
    if why is not None:
        return NtpAnswer(name, error=why)
    # ntplib measures against time.time(); re-base on the clock lkdebug judges with (injectable).
    offset = -stats.offset + (now() - time.time())
    return NtpAnswer(name, offset=offset, delay=stats.delay)


async def probe_ntp(
    servers: Sequence[tuple[str, int]], timeout: float, now: Callable[[], float] = time.time
) -> CheckResult:
    """Ask every server at once; the offset is the median of those that answered."""
    started = time.monotonic()
    answers = await asyncio.gather(*(ask_ntp(host, port, timeout, now) for host, port in servers))
    duration = (time.monotonic() - started) * 1000
    good = [a for a in answers if a.offset is not None]
    if not good:
        finding = Finding(
            "clock.ntp_unreachable", Severity.WARNING, "clock",
            "No NTP server answered, so this machine's clock could not be checked against real time",
            "; ".join(f"{a.server}: {a.error}" for a in answers),
            "Outgoing UDP port 123 is often blocked on company and cloud networks. Ask an NTP server you can "
            "reach with --ntp-server HOST[:PORT]; the comparison with the LiveKit server's clock still applies.",
        )
        return CheckResult("ntp", CheckStatus.WARN, duration, "no answer: " + finding.detail, [finding], NtpResult(tuple(answers)))
    import statistics  # it loads fractions and decimal, which `check --no-network` never needs

    offset = statistics.median(a.offset for a in good)
    asked = ", ".join(a.server for a in good)
    return CheckResult("ntp", CheckStatus.PASS, duration, f"{describe_offset(offset, 'NTP time')} ({asked})", [],
                       NtpResult(tuple(answers), offset))


def offset_from_date(date_header: str, sent: float, received: float) -> tuple[float, float] | None:
    """(this machine minus the server, uncertainty) from an HTTP `Date` header, or None if unreadable.

    `Date` is truncated to the second, so the server's time when it answered lies in [D, D+1);
    this machine's time then is taken as the middle of the request, so the uncertainty is half a
    second plus half the round trip.
    """
    import email.utils  # only a probe's answer needs it

    try:
        moment = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    server_time = moment.timestamp() + 0.5
    local_time = (sent + received) / 2
    return local_time - server_time, 0.5 + (received - sent) / 2


def describe_offset(offset: float, other: str, uncertainty: float = 0.0) -> str:
    """'Your clock is 83 s ahead of NTP time' / '... agrees with the LiveKit server to within ±0.6 s'."""
    size = abs(offset)
    if size <= max(uncertainty, 0.05):
        return f"Your clock agrees with {other}"
    amount = f"{size:.0f} s" if size >= 10 else f"{size:.1f} s"
    return f"Your clock is {amount} {'ahead of' if offset > 0 else 'behind'} {other}"


def consequence(offset: float, ttl: float | None = None) -> str:
    """What a skew of `offset` (this machine minus the server) does to a token minted here."""
    size = abs(offset)
    if size <= LEEWAY_S:
        text = f"within the server's {LEEWAY_S} s leeway: tokens minted here are accepted there"
        if size > NODE_VERIFIER_LEEWAY_S:
            text += f" (but Node's TokenVerifier allows only {NODE_VERIFIER_LEEWAY_S} s)"
        return text
    late = size - LEEWAY_S
    if offset > 0:
        return f"a token minted here is not valid there for the first {late:.0f} s (its nbf is in the server's future)"
    lifetime = ttl if ttl is not None else LK_DEFAULT_TTL_S
    if late >= lifetime:
        return f"a token minted here with a {_duration(lifetime)} lifetime is already expired when it arrives"
    return (
        f"a token minted here expires {late:.0f} s early there "
        f"(a {_duration(lifetime)} token lasts only {_duration(lifetime - late)})"
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _severity(offset: float, uncertainty: float = 0.0) -> Severity:
    size = abs(offset) - uncertainty
    if size > LEEWAY_S:
        return Severity.ERROR
    if size > NODE_VERIFIER_LEEWAY_S:
        return Severity.WARNING
    return Severity.OK


def judge_clocks(
    ntp_offset: float | None,
    server_offset: float | None,
    server_uncertainty: float = 0.0,
    *,
    ttl: float | None = None,
    hints: Sequence[str] = (),
) -> list[Finding]:
    """The three-way judgement: this machine vs NTP, this machine vs the server, and so the server vs NTP.

    The comparison that decides whether tokens minted here work there is against the server's
    clock; NTP then says which side is wrong. Without the server's clock, NTP stands in for it.
    """
    fix_here = " ".join(["Sync this machine's clock with NTP.", *hints])
    ntp_text = None if ntp_offset is None else describe_offset(ntp_offset, "NTP time")
    if server_offset is None:
        if ntp_offset is None:
            return []
        severity = _severity(ntp_offset)
        detail = f"{ntp_text}. If the LiveKit server keeps NTP time, {consequence(ntp_offset, ttl)}."
        if severity is Severity.OK:
            return [Finding("clock.ok", Severity.OK, "clock", "Your clock agrees with NTP time", detail)]
        return [Finding("clock.skew_ntp", severity, "clock", ntp_text, detail, fix_here)]
    server_text = describe_offset(server_offset, "the LiveKit server", server_uncertainty)
    resolution = f" (±{server_uncertainty:.1f} s: its Date header has 1 s resolution, and the request took a round trip)"
    severity = _severity(server_offset, server_uncertainty)
    findings: list[Finding] = []
    if severity is not Severity.OK:
        server_vs_ntp = None if ntp_offset is None else ntp_offset - server_offset
        detail = f"{server_text}{resolution}: {consequence(server_offset, ttl)}."
        if ntp_text:
            detail += f" {ntp_text}."
        if server_vs_ntp is not None and abs(server_vs_ntp) > NODE_VERIFIER_LEEWAY_S:
            side = "ahead of" if server_vs_ntp > 0 else "behind"
            fix = (f"The server's clock is the one that is off: {abs(server_vs_ntp):.0f} s {side} NTP time. "
                   "Enable time sync on the LiveKit host (chrony or systemd-timesyncd).")
        elif ntp_offset is None:
            # Two clocks disagree and no third one answered: either may be the wrong one.
            detail += (" No NTP server answered, so lkdebug cannot tell which of the two clocks is off: this "
                       "machine's or the server's.")
            fix = ("Settle it with a third clock: rerun with `--ntp-server HOST` naming an NTP server you can reach, "
                   "or compare `date -u` on this machine and on the LiveKit host with a trusted time; then sync the one "
                   "that is off (chrony or systemd-timesyncd on a server; " + " ".join(hints) + ").")
        else:
            fix = fix_here
        findings.append(Finding("clock.skew_server", severity, "clock", server_text, detail, fix))
    if ntp_offset is not None and _severity(ntp_offset) is not Severity.OK:
        # This machine is off real time; tokens only suffer if the server disagrees with it too.
        agrees = severity is Severity.OK
        detail = f"{ntp_text}" + (", but in step with the LiveKit server, so tokens minted here still work there." if agrees else ".")
        findings.append(Finding("clock.skew_ntp", Severity.WARNING if agrees else _severity(ntp_offset), "clock",
                                ntp_text, detail, fix_here))
    if not findings:
        detail = f"{server_text}{resolution}"
        if ntp_text:
            detail += f"; {ntp_text[0].lower()}{ntp_text[1:]}"
        findings.append(Finding("clock.ok", Severity.OK, "clock", "Your clock agrees with the LiveKit server",
                                f"{detail}: {consequence(server_offset, ttl)}."))
    return findings


def token_on_server(claims: dict, local_now: float, server_offset: float) -> str | None:
    """What the server's clock makes of the token's nbf/exp, when that differs from this machine's view."""
    verdicts = []  # server_rules' time rules, never a second copy of the leeway
    for clock_now in (local_now, local_now - server_offset):
        failures = dict(server_rules.time_errors(claims, clock_now))
        if "not_yet_valid" in failures:
            verdicts.append(f"not valid for another {float(claims['nbf']) - LEEWAY_S - clock_now:.0f} s")
        elif "expired" in failures:
            verdicts.append(f"expired {clock_now - float(claims['exp']) - LEEWAY_S:.0f} s ago")
        else:
            verdicts.append("valid")
    here, there = verdicts
    if here == there:
        return None
    return f"By this machine's clock the token is {here}; by the server's clock it is {there}."


def clock_hints(*, wsl: bool | None = None, container: bool | None = None, system: str | None = None) -> list[str]:
    """Where drift usually comes from on this kind of machine (A14): WSL2 and Docker Desktop VMs."""
    wsl = host.in_wsl() if wsl is None else wsl
    container = host.in_container() if container is None else container
    import platform  # only a clock finding needs it

    system = system or platform.system()
    if wsl:
        return ["This is WSL2: its clock drifts after Windows sleeps. Run `sudo hwclock -s`, or `wsl --shutdown` from Windows."]
    if container:
        return ["A container has its host's clock: fix it there. Docker Desktop's VM drifts after the host sleeps: restart Docker Desktop."]
    if system == "Darwin":
        return ["On macOS: `sudo sntp -sS time.apple.com`."]
    if system == "Windows":
        return ["On Windows: `w32tm /resync`."]
    return ["On Linux: `timedatectl set-ntp true` (or chrony)."]
