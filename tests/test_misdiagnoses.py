"""Answers that are not about the credentials must not blame them (issue 8): a proxy's 502/504, oversized headers."""

from __future__ import annotations

import pytest
from aiohttp import web

from lkdebug.core.diagnose import diagnose
from lkdebug.core.model import KnownKey, Setting, Settings
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder

pytestmark = pytest.mark.timeout(60)

# nginx's own error page, as it sends it when its upstream is down or slow.
NGINX_PAGE = ("<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n<center><h1>{status} {phrase}</h1>"
              "</center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n")


def settings_for(url: str) -> Settings:
    return Settings(url=Setting("LIVEKIT_URL", url, "test"), api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                    api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, ".env.test"),
                    known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, ".env.test")])


async def serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"ws://127.0.0.1:{port}"


@pytest.mark.parametrize(("status", "phrase"), [(502, "Bad Gateway"), (504, "Gateway Timeout")])
async def test_a_proxy_gateway_error_is_named_and_does_not_blame_the_key(status, phrase):
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=status, text=NGINX_PAGE.format(status=status, phrase=phrase),
                            content_type="text/html", headers={"Server": "nginx/1.24.0"})

    runner, url = await serve(gateway)
    try:
        with NtpResponder() as ntp:
            report = await diagnose(settings_for(url), timeout=3, ntp_servers=[ntp.address], in_container=False)
    finally:
        await runner.cleanup()
    codes = [f.code for f in report.findings]
    assert "server.api_denied" not in codes and "server.token_rejected" not in codes
    upstream = [f for f in report.findings if f.code == "net.upstream_failed"]
    assert len(upstream) == 1 and f"{status} {phrase}" in upstream[0].title
    assert "nginx/1.24.0" in upstream[0].detail
    api = next(c for c in report.checks if c.name == "server_api")
    assert [f.code for f in api.findings] == ["net.upstream_failed"]


@pytest.fixture
def header_flood():
    """A peer answering every request with `count` headers of `size` bytes (the attack: 10,000 of 8 KB)."""
    import socket
    import threading

    servers = []

    def start(count: int, size: int) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        servers.append(listener)

        def answer(conn: socket.socket) -> None:
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    for i in range(count):
                        conn.sendall(b"X-Pad-%d: %s\r\n" % (i, b"a" * size))
                    conn.sendall(b"Content-Length: 2\r\n\r\nOK")
                except OSError:  # the client gave up reading, as it should
                    pass

        def accept() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return f"ws://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in servers:
        listener.close()


@pytest.mark.parametrize(("count", "size", "why"), [(10_000, 8_000, "more than 128 response headers"),
                                                     (1, 100_000, "a response line longer than 8 KB")])
async def test_oversized_headers_are_named_not_a_timeout(header_flood, count, size, why):
    url = header_flood(count, size)
    with NtpResponder() as ntp:
        report = await diagnose(settings_for(url), timeout=3, ntp_servers=[ntp.address], in_container=False)
    checks = {c.name: c for c in report.checks}
    for name in ("http", "validate", "websocket", "server_api"):
        assert [f.code for f in checks[name].findings] == ["net.bad_response"], (name, checks[name].detail)
        assert why in checks[name].detail
    assert not {"net.timeout", "net.http_failed", "net.closed"} & {f.code for f in report.findings}
    # aiohttp's error text quotes the request URL, and so the probe token: it is never shown.
    assert "access_token" not in " ".join(c.detail for c in report.checks)
