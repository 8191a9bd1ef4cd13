"""Every probe against the stand-in server and NTP responder on 127.0.0.1 (random ports, never the internet)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
import time

import pytest

from lkdebug.core import probes, server_rules
from lkdebug.core.diagnose import CHECK_NAMES, MEDIA_CHECKS, diagnose
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings, Severity
from lkdebug.core.mint import build_claims, mint
from lkdebug.core.replies import HttpAnswer
from lkdebug.core.target import parse_url
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, StandInServer, refused_port

pytestmark = pytest.mark.timeout(60)

WRONG_SECRET = "Zq7PwL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jM"


def settings_for(url: str | None, key: str = DEMO_API_KEY, secret: str = DEMO_API_SECRET) -> Settings:
    return Settings(
        url=Setting("LIVEKIT_URL", url, "test") if url else None,
        api_key=Setting("LIVEKIT_API_KEY", key, "test"),
        api_secret=Setting("LIVEKIT_API_SECRET", secret, ".env.test"),
        known_keys=[KnownKey(key, secret, ".env.test")],
    )


@pytest.fixture
def ntp():
    with NtpResponder() as responder:
        yield [responder.address]


def by_name(report):
    return {check.name: check for check in report.checks}


def codes(report):
    return [f.code for f in report.findings]


async def run(url, ntp, timeout=3.0, **kwargs):
    settings = kwargs.pop("settings", None) or settings_for(url, kwargs.pop("key", DEMO_API_KEY), kwargs.pop("secret", DEMO_API_SECRET))
    return await diagnose(settings, timeout=timeout, ntp_servers=ntp, in_container=False, **kwargs)


async def test_matching_keys_pass_every_probe(ntp):
    async with StandInServer() as server:
        report = await run(server.url, ntp)
    checks = by_name(report)
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert checks["tls"].status is CheckStatus.SKIP  # plain http
    # The stand-in offers no TURN by default: the media probes judge that (tests/test_join.py).
    assert all(c.status is CheckStatus.PASS for n, c in checks.items() if n not in ("tls", *MEDIA_CHECKS)), {n: c.detail for n, c in checks.items()}
    assert not [f for f in report.findings if f.severity in (Severity.ERROR, Severity.WARNING) and f.area != "media"]
    assert {"server.token_accepted", "server.api_ok", "clock.ok"} <= set(codes(report))
    assert "first message" in checks["websocket"].detail


async def test_wrong_secret_shows_the_servers_words(ntp):
    async with StandInServer() as server:
        report = await run(server.url, ntp, secret=WRONG_SECRET)
    first = report.findings[0]
    assert first.code == "server.signature_mismatch"
    assert "token signature is invalid: signature is invalid" in first.detail
    assert "v1.13.0 to v1.13.5" in first.detail
    assert by_name(report)["server_api"].status is CheckStatus.FAIL
    api_denied = next(f for f in report.findings if f.code == "server.api_denied")
    assert "signature is invalid" in api_denied.detail  # paired with /rtc/validate's words
    # The echoed token never shows with its signature, nor does any secret.
    text = " ".join(f.detail for f in report.findings) + " ".join(c.detail for c in report.checks)
    assert WRONG_SECRET not in text and DEMO_API_SECRET not in text


async def test_unknown_key_is_the_root_cause(ntp):
    async with StandInServer() as server:
        report = await run(server.url, ntp, key="APIunknown1234")
    assert report.findings[0].code == "server.key_unknown"
    assert "invalid API key: APIunknown1234" in report.findings[0].detail
    assert codes(report).count("server.key_unknown") == 1  # the /rtc upgrade's echo is dropped


@pytest.mark.parametrize(("era", "fragment", "recognised", "label"), [
    (server_rules.HEAD, "invalid authorization token: token signature is invalid", "head", "unreleased (after v1.13.5)"),
    # go-jose v3 words a refusal alike from v1.4.1 to v1.12.x: the body tells the group, not the era inside it.
    (server_rules.V1_9, "go-jose/go-jose: error in cryptographic primitive", "v1.4-v1.12", "v1.4.1 to v1.12.x"),
    (server_rules.V1_4, "go-jose/go-jose: error in cryptographic primitive", "v1.4-v1.12", "v1.4.1 to v1.12.x"),
])
async def test_older_and_newer_wordings(ntp, era, fragment, recognised, label):
    async with StandInServer(StandInConfig(era=era)) as server:
        report = await run(server.url, ntp, secret=WRONG_SECRET)
    assert report.findings[0].code == "server.signature_mismatch"
    assert fragment in report.findings[0].detail
    assert f"(livekit-server {label} wording)" in report.findings[0].detail
    assert by_name(report)["validate"].data.era == recognised


async def test_server_clock_ahead_is_skew_server(ntp):
    async with StandInServer(StandInConfig(clock_offset=120)) as server:
        report = await run(server.url, ntp)
    skew = next(f for f in report.findings if f.code == "clock.skew_server")
    assert skew.severity is Severity.ERROR
    assert "120 s behind the LiveKit server" in skew.detail
    assert "The server's clock is the one that is off" in skew.fix  # NTP (the responder) agrees with this machine
    assert by_name(report)["server_clock"].status is CheckStatus.FAIL


async def test_this_machine_ahead_gets_the_nbf_sentence():
    with NtpResponder(offset=-83) as responder:
        async with StandInServer(StandInConfig(clock_offset=-83)) as server:
            report = await run(server.url, [responder.address])
    skew = next(f for f in report.findings if f.code == "clock.skew_server")
    assert "not valid there for the first 2" in skew.detail  # 23 s, give or take the Date header's second
    # The stand-in judges with its own (skewed) clock, so the server's words confirm it.
    assert "server.token_rejected" in codes(report)
    assert codes(report).index("clock.skew_server") < codes(report).index("server.token_rejected")


async def test_silent_server_times_out(ntp):
    async with StandInServer(StandInConfig(fault="silent")) as server:
        report = await run(server.url, ntp, timeout=1.0)
    assert "net.timeout" in codes(report)
    assert by_name(report)["http"].status is CheckStatus.FAIL
    # The bound asked for, not a default; how long the whole run takes is benchmarks/bench_check.py's.
    assert by_name(report)["http"].detail == "no answer within 1 s"


async def test_refused_port_skips_what_depends_on_it(ntp):
    url = f"http://127.0.0.1:{refused_port()}"
    report = await run(url, ntp)
    checks = by_name(report)
    assert checks["tcp"].status is CheckStatus.FAIL
    assert report.findings[0].code == "net.refused"
    for name in ("http", "validate", "websocket", "server_api"):
        assert checks[name].status is CheckStatus.SKIP and "tcp" in checks[name].detail
    assert checks["ntp"].status is CheckStatus.PASS  # independent of the URL


async def test_localhost_inside_a_container_is_explained(ntp):
    settings = settings_for(f"http://localhost:{refused_port()}")
    report = await diagnose(settings, timeout=2, ntp_servers=ntp, in_container=True)
    assert "net.localhost_in_container" in codes(report)


async def test_proxy_page_instead_of_upgrade(ntp):
    async with StandInServer(StandInConfig(fault="proxy")) as server:
        report = await run(server.url, ntp)
    assert {"net.not_livekit", "net.proxy_no_upgrade"} <= set(codes(report))
    proxy = next(f for f in report.findings if f.code == "net.proxy_no_upgrade")
    assert proxy.title == "A proxy in front of LiveKit is not forwarding the Upgrade and Connection headers"


async def test_abrupt_close(ntp):
    async with StandInServer(StandInConfig(fault="close")) as server:
        report = await run(server.url, ntp)
    assert codes(report).count("net.closed") == 1
    assert by_name(report)["server_clock"].status is CheckStatus.SKIP  # no Date header to read


async def test_not_ready_node_is_a_warning(ntp):
    async with StandInServer(StandInConfig(fault="not_ready")) as server:
        report = await run(server.url, ntp)
    assert by_name(report)["http"].status is CheckStatus.WARN
    assert "server.not_ready" in codes(report)


async def test_self_signed_tls_is_untrusted_unless_the_ca_is_given(ntp):
    async with StandInServer(StandInConfig(tls=True)) as server:
        untrusted = await run(server.url, ntp)
        trusted = await run(server.url, ntp, ssl_context=server.client_ssl_context())
    assert untrusted.findings[0].code == "net.tls_untrusted"
    assert by_name(untrusted)["validate"].status is CheckStatus.SKIP
    checks = by_name(trusted)
    assert all(c.status is CheckStatus.PASS for n, c in checks.items() if n not in MEDIA_CHECKS), {n: c.detail for n, c in checks.items()}
    assert checks["tls"].data.version.startswith("TLSv1.")
    assert "hostname matches" in checks["tls"].detail


async def test_tls_spoken_to_a_plain_port(ntp):
    async with StandInServer() as server:
        report = await run(server.url.replace("http://", "https://"), ntp)
    assert report.findings[0].code == "net.tls_plain_port"
    assert "HTTP/1." in report.findings[0].detail


async def _tls_server(**cert_options):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*cert_options.pop("names"), **cert_options).configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async def answer(reader, writer):
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context)
    return server, server.sockets[0].getsockname()[1], client_context


@pytest.mark.parametrize(("options", "code"), [
    ({"names": ["wrong.example"]}, "net.tls_hostname"),
    ({"names": ["127.0.0.1"], "not_after": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)}, "net.tls_expired"),
])
async def test_certificate_faults(options, code):
    server, port, client_context = await _tls_server(**options)
    async with server:
        target, _ = parse_url(f"https://127.0.0.1:{port}")
        result = await probes.probe_tls(target, ["127.0.0.1"], 2, time.time, client_context)
    assert result.status is CheckStatus.FAIL
    assert [f.code for f in result.findings] == [code]


async def test_a_given_token_is_judged_offline_and_by_the_server(ntp):
    now = time.time()
    expired = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "r"},
                                valid_for=60, now=now - 3600), DEMO_API_SECRET)
    async with StandInServer() as server:
        report = await run(server.url, ntp, token=expired)
    rejected = next(f for f in report.findings if f.code == "server.token_rejected")
    assert "token is expired" in rejected.detail
    assert "token.expired" in codes(report)  # the decoder's offline verdict, in the same report
    assert by_name(report)["validate"].detail.startswith("your token")


async def test_without_keys_or_token_the_token_probes_skip(ntp):
    settings = Settings(url=Setting("LIVEKIT_URL", "http://127.0.0.1:1", "test"))
    async with StandInServer() as server:
        settings.url = Setting("LIVEKIT_URL", server.url, "test")
        report = await diagnose(settings, timeout=2, ntp_servers=ntp, in_container=False)
    checks = by_name(report)
    assert checks["http"].status is CheckStatus.PASS
    assert checks["validate"].status is CheckStatus.SKIP and "--token" in checks["validate"].detail
    assert checks["server_api"].status is CheckStatus.SKIP


async def test_no_network_and_no_url():
    report = await diagnose(Settings(), network=False)
    assert all(c.status is CheckStatus.SKIP for c in report.checks)
    assert "net.no_url" not in codes(report)


async def test_no_url_with_network_is_a_finding(ntp):
    report = await diagnose(Settings(), ntp_servers=ntp, timeout=1)
    assert "net.no_url" in codes(report)
    assert by_name(report)["dns"].status is CheckStatus.SKIP


async def test_updates_come_on_the_loop_thread_running_then_done(ntp):
    seen = []
    loop_thread = threading.get_ident()

    def on_update(result):
        seen.append((result.name, result.status, threading.get_ident() == loop_thread))

    async with StandInServer() as server:
        await run(server.url, ntp, on_update=on_update)
    assert all(on_loop for _, _, on_loop in seen)
    for name in CHECK_NAMES:
        states = [status for n, status, _ in seen if n == name]
        assert states[-1] is not CheckStatus.RUNNING, name
        if states[-1] is not CheckStatus.SKIP and name != "url":
            assert states[0] is CheckStatus.RUNNING, name


async def test_cancellation_stops_every_probe(ntp):
    async with StandInServer(StandInConfig(fault="silent")) as server:
        before = set(asyncio.all_tasks())
        # Longer than the test's own timeout: a probe that ignored the cancel would hang the test, not pass late.
        task = asyncio.create_task(run(server.url, ntp, timeout=3600))
        while not server._raw_connections:  # the probes hold a connection to the silent server: cancel mid-run
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # What is left may only be the stand-in's own connection tasks: they end when they see the probes'
        # sockets close, which aiohttp and websockets finish a loop iteration after the cancelled probe returns
        # (3.12+ unwinds a cancelled wait_for in fewer iterations than 3.11, so there they are still running).
        # A probe that leaked its socket would leave its stand-in task running, and the wait below fails.
        leftover = set(asyncio.all_tasks()) - before
        assert {t.get_coro().__qualname__ for t in leftover} <= {"StandInServer._raw_connection"}
        await asyncio.wait_for(asyncio.gather(*leftover), 10)


async def test_localhost_lint_gives_way_when_the_server_answers_there(ntp):
    from lkdebug.core.envlint import lint_url

    async with StandInServer() as server:
        settings = settings_for(server.url)
        settings.findings = lint_url("LIVEKIT_URL", server.url, ".env", container=True)
        assert "env.url_localhost" in [f.code for f in settings.findings]
        answered = await run(server.url, ntp, settings=settings)
    assert "env.url_localhost" not in codes(answered)
    refused = await run(f"http://127.0.0.1:{refused_port()}", ntp, settings=settings)
    assert "env.url_localhost" in codes(refused)


async def test_the_http_record_keeps_the_answer_without_the_secrets_it_echoes():
    """GET /'s record carries the Date for the clock check; a body that quotes a known secret is kept scrubbed."""
    from aiohttp import web

    async def page(_request):
        return web.Response(text=f"debug page: LIVEKIT_API_SECRET={WRONG_SECRET}")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        target, _ = parse_url(f"ws://127.0.0.1:{port}")
        result = await probes.probe_http(target, 3.0, time.time, None, [WRONG_SECRET])
    finally:
        await runner.cleanup()
    answer = result.payload(HttpAnswer)
    assert result.status is CheckStatus.FAIL and answer.status == 200 and answer.date
    assert answer.body.startswith("debug page: LIVEKIT_API_SECRET=") and WRONG_SECRET not in answer.body
