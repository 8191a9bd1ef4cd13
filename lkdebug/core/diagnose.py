"""One diagnosis: the offline checks, then every probe at once, as a Report (what `check` prints, the TUI shows).

Probes that need an earlier one wait only for that one (TLS for TCP, the HTTP probes for TLS or
TCP, the clock judgement for `GET /` and NTP), so a run takes about as long as its slowest chain,
not the sum. A probe that cannot run is `skip` with the reason. `on_update` is called on the
event loop that runs `diagnose`, when each probe starts (RUNNING) and when it ends; cancelling
`diagnose` cancels every probe, and each closes its sockets on the way out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Sequence

from lkdebug.core.model import CheckResult, CheckStatus, Finding, Report, Settings, Severity, sort_findings
from lkdebug.core.records import dataclass, replace
from lkdebug.core.target import Target, TokenToTest, monotonic_ms, url_check

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:  # the probes' modules (asyncio, ssl, sockets) load only when a probe runs: not offline
    import asyncio
    import ssl

    from typing import TypeVar

    from lkdebug.core.ice import IceServer

    R = TypeVar("R")

CHECK_NAMES = ("url", "dns", "tcp", "tls", "http", "validate", "websocket", "join", "turn", "media_join", "host", "server_api",
               "ntp", "server_clock")
MEDIA_CHECKS = ("join", "turn", "media_join", "host")
PROBE_TOKEN_TTL_S = 600

# Root cause first within a severity: what the server itself said, then the clocks, then the
# offline findings, then the network layers from the bottom up; derived failures last. A guess
# (localhost in a container) ranks below the measured fault it might explain.
_ROOT_CAUSE_ORDER = (
    "server.key_unknown", "server.signature_mismatch", "clock.skew_server", "clock.skew_ntp", "server.token_rejected",
    "env.", "token.", "net.no_url", "net.url", "net.dns", "net.refused", "net.timeout", "net.localhost_in_container",
    "net.unreachable", "net.tls", "net.closed", "net.not_livekit", "net.proxy_no_upgrade", "net.", "server.",
    # Media comes after the signal connection it depends on: what the server advertises and the relays,
    # before the media join that fails because of them.
    "media.client_crashed", "media.private_address", "media.host", "media.turn", "media.", "clock.",
)


def _rank(finding: Finding) -> int:
    for index, prefix in enumerate(_ROOT_CAUSE_ORDER):
        if finding.code == prefix or (prefix.endswith(".") and finding.code.startswith(prefix)) or finding.code.startswith(prefix + "_"):
            return index
    return len(_ROOT_CAUSE_ORDER)


# ---- the causal model: which finding explains which -----------------------------------------

# Env findings that make a secret (or a key) wrong as the server sees it.
_VALUE_FAULTS = ("env.whitespace", "env.quoted", "env.placeholder", "env.key_secret_swapped", "env.empty",
                 "env.non_ascii", "env.conflict", "env.secret_mismatch")
_CLOCK_REASONS = ("expired", "not_yet_valid", "iat_future")


def _about(finding: Finding) -> str:
    """Which setting an env finding is about ("secret", "key" or ""), from the first name its title gives."""
    title = finding.title
    at = {role: title.find(word) for role, words in (("secret", ("API_SECRET", "secret")), ("key", ("API_KEY", "API key")))
          for word in words if word in title}
    return min(at, key=at.get) if at else ""


def verdict_reason(finding: Finding) -> str | None:
    """The server_rules reason a server.* finding reports (from the server's words in its detail)."""
    if finding.code == "server.key_unknown":
        return "unknown_key"
    if finding.code == "server.signature_mismatch":
        return "signature"
    if finding.code not in ("server.token_rejected", "server.api_denied"):
        return None
    from lkdebug.core import server_rules  # the server's rules, here and below: not for the offline checks

    return server_rules.reason_in(finding.detail)


def _explains(cause: Finding, effect: Finding) -> bool:
    """True when `cause` is a reason for `effect` (the server's refusal or a derived failure)."""
    reason = verdict_reason(effect)
    if effect.code == "token.no_room":
        return cause.code == "token.room_name_key"  # the room is there, under the JS SDK's old name
    if effect.code == "net.proxy_no_upgrade":
        return cause.code == "net.not_livekit"  # the page that answers every path also answers the upgrade
    if effect.code == "clock.token_window":
        return cause.code in ("clock.skew_server", "clock.skew_ntp") and cause.severity is not Severity.OK
    if effect.code == "server.api_denied" and cause.code.startswith("server.") and cause.code != "server.api_denied":
        # The server API refused the settings' credentials for the reason /rtc/validate already gave.
        return reason is not None and verdict_reason(cause) == reason
    if reason == "signature":
        return (cause.code in _VALUE_FAULTS and _about(cause) == "secret") or cause.code == "token.signature_invalid" or (
            cause.code == "env.server_key_mismatch" and "different secret" in cause.title)
    if reason == "unknown_key":
        return (cause.code in _VALUE_FAULTS and _about(cause) == "key") or cause.code in (
            "token.unknown_key", "env.dev_key_remote", "env.key_secret_swapped") or (
            cause.code == "env.server_key_mismatch" and "does not hold" in cause.title)
    if reason in _CLOCK_REASONS:
        if cause.code in ("clock.skew_server", "clock.skew_ntp"):
            return cause.severity is Severity.ERROR
        return cause.code == {"expired": "token.expired", "not_yet_valid": "token.not_yet_valid",
                              "iat_future": "token.iat_future"}[reason] and cause.severity is Severity.ERROR
    if reason is not None and effect.code == "server.token_rejected":
        return cause.code == f"token.{reason}" or (reason == "malformed_claims" and cause.code == "token.grant_type")
    return False


def link_causes(findings: list[Finding]) -> list[Finding]:
    """Each finding that follows from another gets `because` (the cause's code) and the cause's fix.

    A cause that explains an error is an error itself, whatever it was rated alone. Candidates are
    tried in root-cause order, so the deepest explanation wins (a secret's trailing space before
    the server's refusal it causes); a chain (API refusal -> validate refusal -> env cause) ends at its root.
    """
    ranked = sorted(findings, key=lambda f: (_rank(f), f.severity.rank))
    direct = {id(e): next((c for c in ranked if c is not e and _explains(c, e)), None) for e in findings}
    out = []
    for finding in findings:
        if finding.because is not None:
            out.append(finding)
            continue
        root, seen = finding, {id(finding)}
        while direct.get(id(root)) is not None and id(direct[id(root)]) not in seen:
            root = direct[id(root)]
            seen.add(id(root))
        out.append(finding if root is finding else replace(finding, because=root.code, fix=root.fix))
    worst_effect: dict[str, Severity] = {}
    for finding in out:
        if finding.because and finding.severity.rank < worst_effect.get(finding.because, Severity.OK).rank:
            worst_effect[finding.because] = finding.severity
    return [replace(f, severity=worst_effect[f.code]) if f.because is None and f.code in worst_effect
            and worst_effect[f.code].rank < f.severity.rank else f for f in out]


# Findings that name one cause however many variables show it (the key and the secret swapped).
_ONCE = ("env.key_secret_swapped",)


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Duplicates dropped, causes linked, each cause once and first, its effects right after it.

    A network failure shows in every probe that crosses it (GET /, validate, the upgrade, the API);
    the first one says it, the check table shows the rest. Other findings repeat only verbatim.
    """
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.code, "" if finding.code.startswith("net.") or finding.code in _ONCE else finding.title)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    linked = link_causes(unique)
    roots = sorted((f for f in linked if f.because is None), key=lambda f: (f.severity.rank, _rank(f)))
    out: list[Finding] = []
    for root in roots:
        out.append(root)
        out += sort_findings([f for f in linked if f.because == root.code and f not in out])
    return out + [f for f in linked if f not in out]


def _token_to_test(settings: Settings, token: str | None, now: float) -> tuple[TokenToTest | None, list[Finding], str | None]:
    """(the token the probes send, offline findings about it, why there is none)."""
    from lkdebug.core.decode import decode
    from lkdebug.core.mint import mint, probe_claims

    if token is not None:
        decoded = decode(token, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now)
        if decoded.raw is None:
            return None, decoded.findings, "the token given is not a JWT"
        checked = decoded.signature.status == "valid"
        origin = decoded.signature.origin
        return TokenToTest(
            decoded.raw, False, decoded.claims.get("iss"), origin, decoded.verdict if checked else None, origin,
        ), decoded.findings, None
    if settings.api_key is None or settings.api_secret is None or not settings.api_secret.value:
        return None, [], "no token: pass --token, or set LIVEKIT_API_KEY and a non-empty LIVEKIT_API_SECRET"
    key, secret = settings.api_key.value, settings.api_secret.value
    raw = mint(probe_claims(key, now), secret)
    # A token lkdebug signs itself is only worth predicting against the server's own key list.
    from lkdebug.core import server_rules

    predicted = None if settings.server_keys is None else server_rules.judge(raw, settings.server_keys, now)
    server_config = next((s.path for s in settings.sources if s.kind == "server-config" and s.loaded), "the server config")
    return TokenToTest(raw, True, key, settings.api_secret.source, predicted, server_config), [], None


def _api_token(settings: Settings, now: float) -> str | None:
    """A roomList-only token from the settings' key and secret, for RoomService.ListRooms."""
    if settings.api_key is None or settings.api_secret is None or not settings.api_secret.value:
        return None
    from lkdebug.core.mint import build_claims, mint

    claims = build_claims(api_key=settings.api_key.value, video={"roomList": True}, valid_for=PROBE_TOKEN_TTL_S, now=now)
    return mint(claims, settings.api_secret.value)


def _skip(name: str, reason: str) -> CheckResult:
    return CheckResult(name, CheckStatus.SKIP, None, reason)


def _crash_words(error: BaseException, secrets: Sequence[str]) -> str:
    """An error's type and message in one line. The message may quote a request (the token in
    `?access_token=`) or a peer's bytes, so it is told through `error_words`."""
    from lkdebug.core.redact import error_words
    from lkdebug.core.replies import one_line

    said = error_words(str(error), secrets)
    return one_line(f"{type(error).__name__}: {said}" if said else type(error).__name__, 160)


def crash_finding(subject: str, error: BaseException, secrets: Sequence[str]) -> Finding:
    """`lkdebug.probe_crashed`: `subject` ("The dns probe", "The probes") stopped on a bug in lkdebug."""
    return Finding("lkdebug.probe_crashed", Severity.ERROR, "network", f"{subject} stopped on an internal error",
                   f"{_crash_words(error, secrets)}. This is a bug in lkdebug, not a finding about your setup.",
                   "Rerun `lkdebug check` with LKDEBUG_DEBUG=1 for the traceback and report it.")


def _crashed(name: str, error: Exception, secrets: Sequence[str]) -> CheckResult:
    """A probe that raised: a bug in lkdebug, in one line."""
    return CheckResult(name, CheckStatus.FAIL, None, f"lkdebug could not run this probe: {_crash_words(error, secrets)}",
                       [crash_finding(f"The {name} probe", error, secrets)])


def _offline(settings: Settings, url: str | None, token_findings: list[Finding]) -> tuple[
        str | None, list[Finding], CheckResult, Target | None]:
    """What needs no network: (the URL, the settings' and the token's findings, the URL's check, its target)."""
    url = url or (settings.url.value if settings.url else None)
    findings: list[Finding] = [*settings.findings, *token_findings]
    # The settings' URL is judged by the env lint (url.findings, under its variable's name and place);
    # the url check says the problems only of a URL given elsewhere (the TUI's URL field, which holds
    # the settings' URL stripped until it is edited).
    judged = url is not None and settings.url is not None and url.strip() == settings.url.value.strip()
    url_result, target = url_check(url, judged=judged, server_port=settings.server_port)
    return url, findings, url_result, target


def diagnose_offline(settings: Settings, *, url: str | None = None, token: str | None = None,
                     now: float) -> Report:
    """`diagnose(..., network=False)` without an event loop (`check --no-network`): the offline findings, the
    URL's check, every probe skipped."""
    # A token given is decoded for its findings; the one lkdebug would mint for the probes has none to give.
    token_findings = [] if token is None else _token_to_test(settings, token, now)[1]
    url, findings, url_result, _ = _offline(settings, url, token_findings)
    # Parsing the URL costs nothing and needs no network; a missing URL is not news offline.
    checks = ([url_result] if url else []) + [_skip(n, "--no-network") for n in CHECK_NAMES if n != "url" or not url]
    if url:
        findings += url_result.findings
    return Report(target_url=url, findings=order_findings(findings), checks=checks)


async def diagnose(
    settings: Settings,
    *,
    url: str | None = None,
    token: str | None = None,
    network: bool = True,
    timeout: float = 5.0,
    ntp_servers: Sequence[tuple[str, int]] | None = None,
    now: Callable[[], float] = time.time,
    on_update: Callable[[CheckResult], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    in_container: bool | None = None,
    media: bool = True,
    ice_servers: Sequence[IceServer] = (),
    media_join: bool = False,
    relay_only: bool = False,
) -> Report:
    """Offline findings (settings, token) and, unless `network` is False, every probe concurrently.

    `ssl_context` replaces the system's trust store for the URL and TURN/TLS (tests pass a throwaway CA);
    `in_container` overrides the container detection behind the `localhost` hint. `media` False
    skips the join, TURN and media probes; `ice_servers` replaces the join response's for the TURN
    probe; `media_join` runs a real SDK join in a child process (`relay_only`: through TURN only).
    """
    if not network:
        return diagnose_offline(settings, url=url, token=token, now=now())
    import asyncio

    from lkdebug.core import clock, hostside, probes, replies
    from lkdebug.core import join as joins
    from lkdebug.core import media_join as sdk_join

    to_test, token_findings, no_token = _token_to_test(settings, token, now())
    url, findings, url_result, target = _offline(settings, url, token_findings)
    if target is not None and target.secure:
        # One trust decision for every probe (TLS, GET /, validate, the upgrade, the API, TURN/TLS), off the loop.
        ssl_context = await asyncio.to_thread(replies.trust_context, ssl_context)
    secrets = settings.secrets()
    results: dict[str, CheckResult] = {}

    def publish(result: CheckResult) -> CheckResult:
        results[result.name] = result
        if on_update is not None:
            on_update(result)
        return result

    publish(url_result)

    async def run(name: str, needs: Sequence[str], probe: Callable[[], Awaitable[CheckResult]],
                  bound: float | None = None) -> CheckResult:
        """Wait for the probes this one needs; skip with their reason, or run it bounded and unbreakable."""
        for need in needs:
            before = await tasks[need] if need in tasks else results[need]
            if before.status in (CheckStatus.FAIL, CheckStatus.SKIP):
                return publish(_skip(name, f"needs {need}, which {'failed' if before.status is CheckStatus.FAIL else 'was skipped'}"))
        publish(CheckResult(name, CheckStatus.RUNNING))
        started = time.monotonic()
        bound = bound or timeout * 2 + 1
        try:
            # Each probe bounds its own steps; this outer bound is for what they cannot (a slow import).
            result = await asyncio.wait_for(probe(), bound)
        except (asyncio.TimeoutError, TimeoutError):
            result = CheckResult(name, CheckStatus.FAIL, None, f"no result within {bound:g} s")
        except Exception as error:  # one failed probe must never end the run
            if os.environ.get("LKDEBUG_DEBUG"):
                raise  # the traceback, as the finding below promises
            result = _crashed(name, error, secrets)
        result.name = name
        if result.duration_ms is None:
            result.duration_ms = monotonic_ms(started)
        return publish(result)

    def record(name: str, kind: type[R]) -> R:
        """The record of a probe this one waited for: run() starts it only after that one passed, which leaves one."""
        found = results[name].payload(kind)
        if found is None:
            raise LookupError(f"the {name} probe passed without its {kind.__name__}")
        return found

    def skipped(name: str, reason: str) -> Awaitable[CheckResult]:
        async def done() -> CheckResult:
            return publish(_skip(name, reason))
        return done()

    tasks: dict[str, asyncio.Task[CheckResult]] = {}
    servers = list(ntp_servers) if ntp_servers is not None else list(clock.DEFAULT_NTP_SERVERS)
    async with asyncio.TaskGroup() as group:
        def start(name: str, job: Awaitable[CheckResult]) -> None:
            tasks[name] = group.create_task(job, name=f"lkdebug probe {name}")

        start("ntp", run("ntp", (), lambda: clock.probe_ntp(servers, timeout, now)))
        if target is None:
            for name in ("dns", "tcp", "tls", "http", "validate", "websocket", "join", "server_api"):
                start(name, skipped(name, "no usable URL"))
        else:
            start("dns", run("dns", ("url",), lambda: probes.probe_dns(target, timeout)))
            start("tcp", run("tcp", ("dns",), lambda: probes.probe_tcp(
                target, record("dns", probes.DnsAnswer).addresses, timeout, in_container)))
            if target.secure:
                start("tls", run("tls", ("tcp",), lambda: probes.probe_tls(
                    target, record("tcp", probes.TcpConnects).reachable, timeout, now, ssl_context)))
            else:
                start("tls", skipped("tls", f"{target.scheme}:// is plain: no TLS to check"))
            gate = ("tcp", "tls") if target.secure else ("tcp",)
            start("http", run("http", gate, lambda: probes.probe_http(target, timeout, now, ssl_context, secrets)))
            if to_test is None:
                start("validate", skipped("validate", no_token or "no token"))
                start("websocket", skipped("websocket", no_token or "no token"))
            else:
                start("validate", run("validate", gate, lambda: probes.probe_validate(
                    target, to_test, timeout, now, ssl_context, secrets)))
                start("websocket", run("websocket", gate, lambda: probes.probe_websocket(
                    target, to_test, timeout, ssl_context, secrets, joins.read_after_join if media else None)))
            if media:
                start("join", run("join", ("websocket",), lambda: joins.probe_join(
                    results["websocket"].payload(probes.WebSocketAnswer), target, record("dns", probes.DnsAnswer).addresses,
                    timeout, ice_servers)))
            api_token = _api_token(settings, now())
            if api_token is None:
                start("server_api", skipped("server_api", "needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET to mint a roomList token"))
            else:
                start("server_api", run("server_api", gate, lambda: probes.probe_server_api(
                    target, api_token, timeout, now, ssl_context, secrets)))
        start("server_clock", _server_clock(tasks, publish, to_test, now))
        if not media:
            for name in MEDIA_CHECKS:
                if name not in tasks:
                    start(name, skipped(name, "--no-media"))
        else:
            start("turn", _turn(tasks, run, skipped, ice_servers, timeout, ssl_context))
            start("host", run("host", (), lambda: asyncio.to_thread(hostside.probe_host, settings, ssl_context, url=url)))
            if not media_join:
                start("media_join", skipped("media_join", "run with --media for a real SDK join"))
            elif target is None or to_test is None:
                start("media_join", skipped("media_join", "no usable URL" if target is None else no_token or "no token"))
            else:
                media_token = to_test.raw
                if to_test.minted:  # the probe token may do nothing; the media join must publish
                    from lkdebug.core.mint import mint

                    media_token = mint(sdk_join.media_claims(settings.api_key.value, now()), settings.api_secret.value)
                start("media_join", run("media_join", ("websocket",), lambda: sdk_join.probe_media_join(
                    target.signal_url, media_token, timeout, relay_only, ice_servers, secrets),
                    sdk_join.child_bound(timeout) + 2))

    checks = [results[name] for name in CHECK_NAMES]
    if target is not None and to_test is not None and to_test.minted and settings.api_key is not None:
        await _try_other_secrets(results["validate"], target, settings, to_test, timeout, now, ssl_context, secrets)
    for check in checks:
        findings += check.findings
    if any(f.code == "env.missing" and "LIVEKIT_URL" in f.detail for f in settings.findings):
        findings = [f for f in findings if f.code != "net.no_url"]  # the env lint said it already
    if results["tcp"].status is CheckStatus.PASS or any(f.code == "net.localhost_in_container" for f in findings):
        # The lint's localhost-in-a-container hint is a guess; the TCP probe measured it: the server
        # answered there (the guess was wrong), or the probe says it, below the refusal.
        findings = [f for f in findings if f.code != "env.url_localhost"]
    findings = _drop_echoes(findings)
    return Report(target_url=url, findings=order_findings(findings), checks=checks)


async def _try_other_secrets(validate: CheckResult, target: Target, settings: Settings, to_test: TokenToTest,
                             timeout: float, now: Callable[[], float], ssl_context: ssl.SSLContext | None,
                             secrets: Sequence[str]) -> None:
    """The server refused the winning secret: ask it about every other secret found for the key, and
    name the one it accepts (a stale export in the shell beating the right value in .env.local)."""
    import asyncio

    from lkdebug.core import probes, replies
    from lkdebug.core.mint import mint, probe_claims
    from lkdebug.core.redact import mask_secret

    mismatch = next((f for f in validate.findings if f.code == "server.signature_mismatch"), None)
    key = settings.api_key.value
    used = settings.api_secret.value if settings.api_secret else None
    others = list({k.secret: k for k in settings.known_keys if k.api_key == key and k.secret != used}.values())
    if mismatch is None or not others:
        return

    async def accepted(secret: str) -> bool:
        raw = mint(probe_claims(key, now()), secret)
        url = f"{target.api_url}/rtc/validate?access_token={probes.quote(raw, safe='')}"
        try:
            answer = await replies.http_get(url, timeout, now, ssl_context)
        except Exception:  # the verdict stands without this extra evidence
            return False
        from lkdebug.core import server_rules

        return server_rules.reason_of(answer.body) == "ok"

    verdicts = await asyncio.gather(*(accepted(k.secret) for k in others))
    good = [k for k, ok in zip(others, verdicts) if ok]
    tried = f"lkdebug also tried the {len(others)} other secret(s) it found for this key"
    if good:
        sentence = (f" {tried}: the server accepts the one from {good[0].origin} ({mask_secret(good[0].secret)}), "
                    f"not the one lkdebug's settings use (from {to_test.secret_origin}).")
        fix = f"Use the secret from {good[0].origin}: remove or correct the one in {to_test.secret_origin}, then restart the app."
    else:
        sentence = f" {tried} ({', '.join(k.origin for k in others)}): the server accepts none of them."
        fix = mismatch.fix
    validate.findings[validate.findings.index(mismatch)] = replace(mismatch, detail=mismatch.detail + sentence, fix=fix)


async def _turn(tasks: dict[str, asyncio.Task[CheckResult]], run: Callable, skipped: Callable,
                flag_servers: Sequence[IceServer], timeout: float, ssl_context: ssl.SSLContext | None) -> CheckResult:
    """A relay per TURN server and transport: `--ice-server`'s, else the join response's (once it is read)."""
    from lkdebug.core import join as joins
    from lkdebug.core import turn as turns

    servers = list(flag_servers)
    if not servers:
        joined = await tasks["join"]
        info = joined.payload(joins.JoinInfo)
        if info is None:
            return await skipped("turn", f"no join response to take TURN servers from ({joined.detail or joined.status.value}); "
                                         "--ice-server gives one")
        servers = info.ice_servers
    if not any(u.is_turn for s in servers for u in s.urls):
        return await skipped("turn", "no TURN server to try (see media.no_turn)")
    return await run("turn", (), lambda: turns.probe_turn(servers, timeout, ssl_context))


def _drop_echoes(findings: list[Finding]) -> list[Finding]:
    """The /rtc upgrade repeats /rtc/validate's verdict; keep the server's words once (validate's)."""
    verdict_codes = {"server.key_unknown", "server.signature_mismatch", "server.token_rejected", "server.token_accepted"}
    seen: set[str] = set()
    kept = []
    for finding in findings:
        if finding.code in verdict_codes:
            if finding.code in seen:
                continue
            seen.add(finding.code)
        kept.append(finding)
    return kept


@dataclass(frozen=True)
class ServerClock:
    """The clock judgement's record: this machine minus the server (from its Date header), and minus NTP time."""

    offset: float
    uncertainty: float
    ntp_offset: float | None


async def _server_clock(tasks: dict[str, asyncio.Task[CheckResult]], publish: Callable[[CheckResult], CheckResult],
                        to_test: TokenToTest | None, now: Callable[[], float]) -> CheckResult:
    """The three-way clock judgement: needs the NTP answers and the server's `Date` (from `GET /`)."""
    from lkdebug.core import clock, replies

    publish(CheckResult("server_clock", CheckStatus.RUNNING))
    ntp = await tasks["ntp"]
    http = await tasks["http"] if "http" in tasks else None
    ntp_result = ntp.payload(clock.NtpResult)
    ntp_offset = ntp_result.offset if ntp_result is not None else None
    answer = http.payload(replies.HttpAnswer) if http is not None else None
    date = answer.date if answer is not None else None
    measured = None
    if answer is not None and date:
        measured = clock.offset_from_date(date, answer.sent, answer.received)
    claims = {}
    if to_test is not None:
        from lkdebug.core import server_rules

        parsed = server_rules.parse_unverified(to_test.raw)
        claims = parsed.claims if parsed else {}
    ttl = None  # the lifetime of the user's own token; lkdebug's probe token says nothing about theirs
    if to_test is not None and not to_test.minted and isinstance(claims.get("exp"), (int, float)) and isinstance(claims.get("nbf"), (int, float)):
        ttl = claims["exp"] - claims["nbf"]
    findings = clock.judge_clocks(ntp_offset, None if measured is None else measured[0],
                                  0.0 if measured is None else measured[1], ttl=ttl, hints=clock.clock_hints())
    if measured is None:
        reason = "no Date header from the server (GET / got no answer)"
        if findings:
            reason += "; judged against NTP only"
        return publish(CheckResult("server_clock", CheckStatus.SKIP, None, reason, findings))
    offset, uncertainty = measured
    detail = f"{clock.describe_offset(offset, 'the server', uncertainty)} (±{uncertainty:.1f} s; Date: {date})"
    if claims and to_test is not None and not to_test.minted:
        sentence = clock.token_on_server(claims, now(), offset)
        if sentence:
            findings.append(Finding("clock.token_window", Severity.WARNING, "clock", "The server's clock judges the token differently",
                                    sentence, "Fix the clock that is off (see the other clock findings)."))
    worst = min((f.severity for f in findings), key=lambda s: s.rank, default=Severity.OK)
    status = {Severity.ERROR: CheckStatus.FAIL, Severity.WARNING: CheckStatus.WARN}.get(worst, CheckStatus.PASS)
    return publish(CheckResult("server_clock", status, 0.0, detail, findings, ServerClock(offset, uncertainty, ntp_offset)))
