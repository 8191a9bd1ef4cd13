"""A request that fails is told without the error's own text (issue 8): aiohttp and websockets quote URLs.

A peer that answers the server API and the `/rtc` upgrade with a redirect carrying the token it was sent
(`Location: ftp://…?access_token=<token>`, which no client follows) makes aiohttp and websockets fail with
that URL as their message. `check` must show neither the token nor its signature, in text or JSON, with
`--reveal` absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder

pytestmark = pytest.mark.timeout(90)


class EchoingRedirects(BaseHTTPRequestHandler):
    """`GET /` is a LiveKit node's `OK`; the API and `/rtc` redirect to a non-HTTP URL holding the token."""

    protocol_version = "HTTP/1.1"  # websockets reads no HTTP/1.0 answer
    tokens: list[str]

    def answer(self) -> None:
        path = urlsplit(self.path)
        token = (parse_qs(path.query).get("access_token", [""])[0]
                 or self.headers.get("Authorization", "").removeprefix("Bearer "))
        if token:
            self.tokens.append(token)
        if path.path.startswith("/twirp/") or path.path == "/rtc":
            self.send_response(302)
            self.send_header("Location", f"ftp://127.0.0.1/?access_token={token}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"OK" if path.path == "/" else b"no"
        self.send_response(200 if path.path == "/" else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args) -> None:  # the test reads the tokens, not a log on stderr
        pass


@pytest.fixture
def peer():
    handler = type("Handler", (EchoingRedirects,), {"tokens": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.server_address[1]}", handler.tokens
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_a_failed_request_shows_neither_the_token_nor_its_signature(peer, tmp_path, form):
    url, tokens = peer
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
    with NtpResponder() as ntp:
        run = subprocess.run([sys.executable, "-m", "lkdebug", "check", "--url", url, "--dir", str(tmp_path), "--no-media",
                              "--timeout", "5", "--ntp-server", f"127.0.0.1:{ntp.address[1]}", *form],
                             capture_output=True, text=True, timeout=80)
    assert run.returncode == 1, run.stderr
    output = run.stdout + run.stderr
    if form:
        checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
        details = {name: checks[name]["detail"] for name in ("server_api", "websocket")}
    else:
        details = {name: next(line for line in run.stdout.splitlines() if f" {name} " in line) for name in ("server_api", "websocket")}
    assert len(set(tokens)) >= 2  # the minted probe token and the server API's token both reached the peer
    for token in set(tokens):
        _, payload, signature = token.split(".")
        assert signature not in output
        assert payload[:24] not in output
    assert "access_token" not in output and "ftp://" not in output
    # Both failures are still named, from the error's type and where the request went.
    assert "redirects to a URL" in details["server_api"] and "127.0.0.1" in details["server_api"]
    assert "redirects to a URL" in details["websocket"]
    assert "net.http_failed" in output and "net.closed" in output
