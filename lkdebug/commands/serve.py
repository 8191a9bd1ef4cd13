"""`lkdebug serve`: the same TUI in a web browser (textual-serve), for paired debugging.

Safe by default: loopback only; another address needs `--public` and prints a warning; secrets
cannot be revealed in a served session unless `--allow-reveal`; the app says it is served.
Each browser tab gets its own lkdebug process with this server's settings.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import sys

from lkdebug.exitcodes import ExitCode, UsageError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(args: argparse.Namespace) -> str:
    """The command each browser tab runs: `lkdebug tui` with this server's settings options."""
    parts = [sys.executable, "-m", "lkdebug", "tui", "--served", "--dir", args.dir]
    for env_file in args.env_file:
        parts += ["--env-file", env_file]
    for flag, value in (("--config", args.config), ("--url", args.url), ("--api-key", args.api_key),
                        ("--api-secret-file", args.api_secret_file)):
        if value:
            parts += [flag, value]
    if args.allow_reveal:
        parts.append("--allow-reveal")
    return shlex.join(parts)


def browser_host(host: str) -> str:
    """How a browser names `host` in a URL: 0.0.0.0 and :: listen everywhere but are no address to open."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return socket.gethostname()
    return f"[{host}]" if address.version == 6 else host


def check_can_listen(host: str, port: int) -> None:
    """Refuse a busy port or a foreign address in one line, before announcing a URL that will not work.

    Binding is the only reliable test; aiohttp binds the same way (SO_REUSEADDR) right after this.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}; choose another --port or --host") from None


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: not a TCP port")
    if args.reveal:
        raise UsageError("--reveal does not apply to serve; use --allow-reveal to let the browser session reveal secrets")
    public = not is_loopback(args.host)
    if public and not args.public:
        raise UsageError(
            f"--host {args.host} is not a loopback address: anyone who reaches the port sees your LiveKit "
            "settings. Add --public if that is what you want, or use an SSH tunnel to 127.0.0.1"
        )
    check_can_listen(args.host, args.port)
    if public:
        print(
            f"lkdebug: WARNING: serving on {args.host}:{args.port}; anyone who can reach this port sees "
            "your LiveKit settings (secrets stay masked" + (", but --allow-reveal lets them reveal them" if args.allow_reveal else "") + ")",
            file=sys.stderr,
        )
    server = make_server(app_command(args), host=args.host, port=args.port)
    print(f"lkdebug: open http://{browser_host(args.host)}:{args.port} in a browser (Ctrl+C to stop)", file=sys.stderr, flush=True)
    server.serve()
    return ExitCode.OK


def make_server(command: str, host: str, port: int):
    """textual-serve's Server, fixed for lkdebug in two ways (textual_serve is imported only here):

    - The page links its WebSocket to the address the browser used, not to `--host`: with
      `--host 0.0.0.0` textual-serve would tell every browser to connect to ws://0.0.0.0, which
      only works on the serving machine itself.
    - A WebSocket opened from another origin is refused. Browsers let any web page open a
      WebSocket to 127.0.0.1 (CORS does not apply), and this one carries the TUI's screen and
      its keys: a page the user happens to visit could mint tokens with the project's secret.
    """
    from urllib.parse import urlsplit

    from aiohttp import web
    from textual_serve.server import Server

    class LkDebugServer(Server):
        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            # No await before the page is rendered, so no other request sees this request's URL.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc != request.host:
                raise web.HTTPForbidden(text=f"lkdebug serve: WebSocket from {origin} refused (not this page)")
            return await super().handle_websocket(request)

    return LkDebugServer(command, host=host, port=port, title="lkdebug (served)")
