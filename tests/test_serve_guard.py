"""`lkdebug serve` against a hostile browser: the real server on 127.0.0.1, driven with aiohttp's client.

A web page can send any request to 127.0.0.1 and open WebSockets to it; through DNS rebinding it
can even name its own host. Only who holds the URL `serve` printed may get the page or a session,
one browser cannot make the server's processes grow without bound, and no tab's process outlives
its tab or the server (tests/served.py checks the last after every test).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import aiohttp
import pytest

from lkdebug.commands.serve import MAX_HEIGHT, MAX_WIDTH
from tests.served import WAIT, lkdebug_serve, marked, poll

CURSOR = re.compile(rb"\x1b\[(\d+);(\d+)H")


@pytest.fixture
def served(tmp_path):
    with lkdebug_serve(tmp_path, tmp_path / "serve.log") as serving:
        yield serving


def client(**kwargs) -> aiohttp.ClientSession:
    # unsafe=True: aiohttp's jar otherwise keeps no cookie from an IP address such as 127.0.0.1.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kwargs)


async def status(session: aiohttp.ClientSession, url: str, **kwargs) -> int:
    async with session.get(url, allow_redirects=False, **kwargs) as response:
        return response.status


async def ws_status(session: aiohttp.ClientSession, url: str, **kwargs) -> int:
    """101 if the WebSocket opened (and the app in it started), else the HTTP status of the refusal."""
    try:
        async with session.ws_connect(url, **kwargs) as ws:
            await app_output(ws, lambda out: out)  # the app's first bytes: a session really runs
            return 101
    except aiohttp.WSServerHandshakeError as error:
        return error.status


async def app_output(ws, done, timeout: float = WAIT) -> bytes:
    """The app's terminal output (binary frames) until `done(output)` is true."""
    output = b""
    async with asyncio.timeout(timeout):
        while not done(output):
            message = await ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                output += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                raise AssertionError(f"the server closed the session: {message.extra!r}; output {output[-500:]!r}")
    return output


# The URL secret and the Host


async def test_the_printed_url_opens_the_page_and_nothing_else_does(served):
    assert f"/?token={served.secret}" in served.url and len(served.secret) >= 40
    async with client() as session:
        for path in ("/", "/?token=", "/?token=wrong", "/static/js/textual.js", f"/ws/{served.secret}x", "/download/x"):
            assert await status(session, served.base + path) == 403, path
        async with session.get(served.url) as response:
            assert response.status == 200
            page = await response.text()
            cookie = response.headers["Set-Cookie"]
        # The page's WebSocket carries the secret (its script appends ?width=..&height=..).
        assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws/{served.secret}"' in page
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        # After the first page load the cookie carries it: the page's scripts and styles load.
        assert await status(session, served.base + "/static/js/textual.js") == 200
    async with client() as stranger:
        assert await status(stranger, served.base + "/static/js/textual.js") == 403


async def test_a_rebinding_host_is_refused_even_with_the_secret(served):
    """DNS rebinding: the page's own name resolves to 127.0.0.1, so its requests say Host: evil.example."""
    async with client() as session:
        for host in (f"evil.example:{served.port}", "evil.example", f"127.0.0.1:{served.port + 1}",
                     f"localhost.evil.example:{served.port}", f"x@127.0.0.1:{served.port}"):
            assert await status(session, served.url, headers={"Host": host}) == 421, host
            evil = f"http://{host}"
            assert await ws_status(session, f"{served.base}/ws/{served.secret}", headers={"Host": host}, origin=evil) == 421
        # The names this server does answer to: the address it listens on, and localhost for loopback.
        for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}", f"LOCALHOST:{served.port}"):
            assert await status(session, served.url, headers={"Host": host}) == 200, host


async def test_a_websocket_needs_the_secret_and_the_served_origin(served):
    url = f"ws://127.0.0.1:{served.port}/ws"
    async with client() as session:
        assert await ws_status(session, url, origin=served.base) == 403  # no secret, no cookie
        assert await ws_status(session, f"{url}/wrong", origin=served.base) == 403
        assert await ws_status(session, f"{url}/{served.secret}") == 403  # no Origin: not a browser page
        assert await ws_status(session, f"{url}/{served.secret}", origin="http://evil.example") == 403
        assert await ws_status(session, f"{url}/{served.secret}", origin=f"http://localhost:{served.port}") == 403
        assert served.apps() == []  # nothing refused started a process
        assert await ws_status(session, f"{url}/{served.secret}?width=80&height=24", origin=served.base) == 101
        # A browser that loaded the page has the cookie: the plain /ws works as well.
        assert await status(session, served.url) == 200
        assert await ws_status(session, url, origin=served.base) == 101


# Resource limits


async def test_terminal_sizes_are_clamped(served):
    async with client() as session:
        async with session.ws_connect(f"{served.base}/ws/{served.secret}?width=20000&height=20000", origin=served.base) as ws:
            await app_output(ws, lambda out: out)
            ((pid, _),) = served.apps()
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert f"COLUMNS={MAX_WIDTH}".encode() in environ and f"ROWS={MAX_HEIGHT}".encode() in environ
        async with session.ws_connect(f"{served.base}/ws/{served.secret}?width=80&height=24", origin=served.base) as ws:
            first = await app_output(ws, lambda out: b"SERVED" in out)
            assert max(int(row) for row, _ in CURSOR.findall(first)) <= 24
            await ws.send_json(["resize", {"width": 30000, "height": 30000}])
            # The app redraws at the clamped size: its bottom line lands on row MAX_HEIGHT, none below.
            drawn = await app_output(ws, lambda out: any(int(row) >= MAX_HEIGHT for row, _ in CURSOR.findall(out)))
            positions = [(int(row), int(column)) for row, column in CURSOR.findall(drawn)]
            assert max(row for row, _ in positions) == MAX_HEIGHT
            assert max(column for _, column in positions) <= MAX_WIDTH
            # Sizes that are no numbers are ignored, not passed to the app.
            await ws.send_json(["resize", {"width": "wide", "height": 1e400}])
            await ws.send_json(["ping", "after"])
            async with asyncio.timeout(WAIT):
                while (message := await ws.receive()).type == aiohttp.WSMsgType.BINARY:
                    pass
            assert message.json() == ["pong", "after"]


async def test_sessions_over_the_cap_are_refused_clearly(tmp_path):
    with lkdebug_serve(tmp_path, tmp_path / "serve.log", "--max-sessions", "2") as served:
        url = f"{served.base}/ws/{served.secret}"
        async with client() as session:
            first = await session.ws_connect(url, origin=served.base)
            second = await session.ws_connect(url, origin=served.base)
            for ws in (first, second):
                await app_output(ws, lambda out: out)
            async with session.ws_connect(url, origin=served.base) as third:
                refusal = await third.receive()
                assert refusal.type == aiohttp.WSMsgType.BINARY  # drawn in the page's terminal
                assert b"2 session(s) open already (--max-sessions 2)" in refusal.data
                closing = await third.receive()
                assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == aiohttp.WSCloseCode.TRY_AGAIN_LATER
            assert len(served.apps()) == 2
            await first.close()
            poll(lambda: len(served.apps()) == 1, "the closed tab's process gone")
            # A freed place is given to the next tab.
            async with session.ws_connect(url, origin=served.base) as again:
                await app_output(again, lambda out: b"SERVED" in out)
            await second.close()


async def test_closing_the_tab_ends_its_process(served):
    async with client() as session:
        ws = await session.ws_connect(f"{served.base}/ws/{served.secret}", origin=served.base)
        await app_output(ws, lambda out: b"SERVED" in out)
        assert len(served.apps()) == 1
        await ws.close()
        poll(lambda: not served.processes(), "every process of the closed tab gone")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
async def test_stopping_serve_ends_every_tab(tmp_path, sig):
    """SIGKILL leaves `serve` no say: the kernel's parent-death signal ends each tab (Linux)."""
    with lkdebug_serve(tmp_path, tmp_path / "serve.log") as served:
        async with client() as session:
            tabs = [await session.ws_connect(f"{served.base}/ws/{served.secret}", origin=served.base) for _ in range(2)]
            for ws in tabs:
                await app_output(ws, lambda out: b"SERVED" in out)
            assert len(served.apps()) == 2
            served.server.send_signal(sig)
            served.server.wait(timeout=WAIT)
            poll(lambda: not marked(served.run), f"every tab's process gone after {sig.name} to serve")
            for ws in tabs:
                await ws.close()


async def test_malformed_requests_are_one_line_each_in_the_hosts_terminal(tmp_path):
    """Any page can send them; textual-serve logged each as a page of traceback with locals."""
    log = tmp_path / "serve.log"
    with lkdebug_serve(tmp_path, log) as served:
        for request in (b"GET /\x1b]0;pwned\x07 HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a\x1b]52;c;eA==\x07\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(request)
            assert (await reader.readline()).split()[1] == b"400"
            writer.close()
        async with client() as session:  # one request more: the log lines of the two above are out
            assert await status(session, served.url) == 200
        poll(lambda: log.read_bytes().count(b"\n") >= 4, "the requests logged")
    written = log.read_bytes()
    assert b"Traceback" not in written and b"\x1b" not in written and b"\x07" not in written
    lines = written.decode().splitlines()
    assert lines[0].startswith("lkdebug: open http://127.0.0.1:")
    assert all(line.startswith("lkdebug serve: ") for line in lines[1:]), lines
    assert sum("400" in line for line in lines) >= 2


# The secret given to serve through a pipe


async def test_every_tab_gets_a_secret_piped_to_serve(tmp_path):
    """`--api-secret-file /dev/stdin` can be read once: `serve` reads it and hands it to each tab's process
    through an inherited pipe, never in an argv or an environment another user can read."""
    from lkdebug.core.redact import fingerprint

    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("LIVEKIT_URL=ws://127.0.0.1:7880\nLIVEKIT_API_KEY=APIpipedkey01\n")
    # The server config holds another secret for the key: the finding shows the piped one's fingerprint.
    (project / "livekit.yaml").write_text("keys:\n  APIpipedkey01: Zq7PwL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jM\n")
    piped = "Pp7wL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jMq"
    reader, writer = os.pipe()
    os.write(writer, f"{piped}\n".encode())
    os.close(writer)
    try:
        with lkdebug_serve(project, tmp_path / "serve.log", "--api-secret-file", "/dev/stdin", stdin=reader) as served:
            async with client() as session:
                assert await status(session, served.url) == 200
                url = f"ws://127.0.0.1:{served.port}/ws/{served.secret}?width=200&height=50"
                async with session.ws_connect(url, origin=served.base) as first, session.ws_connect(url, origin=served.base) as second:
                    for ws in (first, second):
                        await app_output(ws, lambda out: f"sha256 {fingerprint(piped)}".encode() in out)
                    apps = served.apps()
                    assert len(apps) == 2
                    for pid, argv in apps:
                        assert "--api-secret-fd" in argv and piped not in " ".join(argv)
                        assert piped.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        os.close(reader)
