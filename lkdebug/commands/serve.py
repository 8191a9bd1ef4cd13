"""`lkdebug serve`: the same TUI in a web browser (textual-serve), for paired debugging.

Safe by default: loopback only; another address needs `--public` and prints a warning; secrets
cannot be revealed in a served session unless `--allow-reveal`; the app says it is served.
Each browser tab gets its own lkdebug process with this server's settings.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
import time

from lkdebug.exitcodes import ExitCode, UsageError
from lkdebug.core.redact import visible

# Bigger terminals only cost memory (a 30000x30000 one grew a tab's process to 3.4 GB).
MAX_WIDTH, MAX_HEIGHT = 500, 200
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_GRACE = 2.0  # seconds a tab's lkdebug gets to quit, then again after SIGTERM before SIGKILL
# What a pipe takes without a reader, however few pages the user may still allocate to pipes (Linux: one page).
SECRET_PIPE_LIMIT = 4096


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


def host_names(host: str) -> set[str]:
    """The names a browser may give `serve` in Host besides the address a connection reached:
    `--host` itself, the name printed for it, and localhost for a loopback address."""
    names = {name.strip("[]").lower() for name in (host, browser_host(host))}
    if is_loopback(host):
        names.add("localhost")
    return names


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
    if args.max_sessions < 1:
        raise UsageError(f"--max-sessions {args.max_sessions}: at least 1")
    check_can_listen(args.host, args.port)
    if public:
        print(
            f"lkdebug: WARNING: serving on {args.host}:{args.port}; anyone who can reach this port sees "
            "your LiveKit settings (secrets stay masked" + (", but --allow-reveal lets them reveal them" if args.allow_reveal else "") + ")",
            file=sys.stderr,
        )
    api_secret = None
    if args.api_secret_file:  # read once: a pipe, `<(…)` or /dev/stdin holds it for one reader only
        from lkdebug.commands.common import api_secret_text

        api_secret = api_secret_text(args).encode() + b"\n"  # the tab strips the newline again
        if len(api_secret) > SECRET_PIPE_LIMIT:
            raise UsageError(f"--api-secret-file {args.api_secret_file}: holds more than {SECRET_PIPE_LIMIT} bytes; "
                             "an API secret is a few dozen characters")
    # Like Jupyter's: only who holds the printed URL gets in (DNS rebinding, other local users).
    secret = secrets.token_urlsafe(32)
    server = make_server(app_command(args), host=args.host, port=args.port, secret=secret, max_sessions=args.max_sessions,
                         api_secret=api_secret)
    print(f"lkdebug: open http://{browser_host(args.host)}:{args.port}/?token={secret} in a browser (Ctrl+C to stop)",
          file=sys.stderr, flush=True)
    server.serve()
    return ExitCode.OK


async def end_group(pgid: int, grace: float = STOP_GRACE) -> None:
    """SIGTERM to the whole process group, SIGKILL to whatever is left of it after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return


def make_server(command: str, host: str, port: int, secret: str, max_sessions: int, api_secret: bytes | None = None):
    """textual-serve's Server, made safe to leave running on a shared machine (textual_serve is
    imported only here). Any web page may send requests to 127.0.0.1 and open WebSockets to it
    (CORS does not cover either), and the socket carries the TUI's keys: a page could mint
    tokens with the project's secret. So every request must:

    - name this server in its Host header (a listening address, or the name `serve` printed):
      a DNS-rebinding page sends its own name there;
    - carry this run's secret: in the printed URL's `?token=`, then in an HttpOnly,
      SameSite=Strict cookie, and in the WebSocket's path (the page links it);
    - for a WebSocket, come from the served page itself (Origin, which browsers always send).

    It also bounds what one browser may cost: terminal sizes are clamped, at most
    `max_sessions` tabs run at once, and each tab's lkdebug (its own process group) ends
    with its tab and with the server.

    `api_secret` (the --api-secret-file `serve` read) reaches each tab's lkdebug through a pipe of its
    own, inherited and read at its start: never on disk, in its argv or in its environment.
    """
    from urllib.parse import urlsplit

    import aiohttp_jinja2
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    cookie = f"lkdebug-serve-{port}"  # cookies ignore ports: two servers must not share one
    names = host_names(host)

    def host_allowed(request: web.Request) -> bool:
        """Host names a listening address: a name above, or the address this connection reached."""
        named = request.headers.get("Host", "")
        parts = urlsplit(f"//{named}")
        try:
            named_port = parts.port or 80
        except ValueError:
            return False
        local = request.transport.get_extra_info("sockname") if request.transport else None
        reached = {str(local[0]).lower()} if local else set()
        return "@" not in named and named_port == port and (parts.hostname or "") in names | reached

    def has_secret(request: web.Request) -> bool:
        offered = request.query.get("token") or request.match_info.get("token") or request.cookies.get(cookie) or ""
        return secrets.compare_digest(offered.encode(), secret.encode())

    @web.middleware
    async def guard(request: web.Request, handler):
        if not host_allowed(request):
            raise web.HTTPMisdirectedRequest(text="lkdebug serve: this Host is not an address this server listens on\n")
        if not has_secret(request):
            raise web.HTTPForbidden(text="lkdebug serve: open the URL that `lkdebug serve` printed, with its ?token=\n")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            origin = request.headers.get("Origin", "")
            if origin.lower() != f"{request.scheme}://{request.host}".lower():
                raise web.HTTPForbidden(text="lkdebug serve: WebSocket refused: not opened by the served page\n")
        response = await handler(request)
        if request.query.get("token") and not response.prepared:
            response.set_cookie(cookie, secret, httponly=True, samesite="Strict", path="/")
        return response

    def clamp(value: object, limit: int, default: int) -> int:
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError):
            return default
        return max(1, min(number, limit))

    def die_with_parent():
        """Linux: SIGKILL the tab's lkdebug when `serve` dies, even by SIGKILL (nothing else can
        end it then: its stdin closing does not). Elsewhere only the orderly stop ends it."""
        if not sys.platform.startswith("linux"):
            return None
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        parent = os.getpid()

        def in_child() -> None:  # between fork and exec: only a system call and a check
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # `serve` died before the call above
                os._exit(1)

        return in_child

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                text += f": {type(error).__name__}: {' '.join(str(error).split())[:300]}"
            return "lkdebug serve: " + visible(text)

    class Session(AppService):
        """One browser tab's lkdebug, in a process group of its own so that all of it can be ended.

        Started without /bin/sh (the command is our own shlex.join): one process per tab, and the
        kernel's parent-death signal reaches lkdebug itself if `serve` is killed outright.
        """

        async def _open_app_process(self, width: int = 80, height: int = 24):
            argv, handed = shlex.split(self.command), ()
            try:
                if api_secret is not None:
                    reader, writer = os.pipe()  # both close-on-exec: only `pass_fds` hands the reader over
                    handed = (reader,)
                    try:
                        os.write(writer, api_secret)  # fits in the pipe: SECRET_PIPE_LIMIT
                    finally:
                        os.close(writer)
                    argv += ["--api-secret-fd", str(reader)]
                self._process = process = await asyncio.create_subprocess_exec(
                    *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
                    start_new_session=True, preexec_fn=die_with_parent(), pass_fds=handed,
                )
            finally:
                for fd in handed:
                    os.close(fd)
            self._stdin = process.stdin
            return process

        async def set_terminal_size(self, width: int, height: int) -> None:
            await super().set_terminal_size(clamp(width, MAX_WIDTH, 80), clamp(height, MAX_HEIGHT, 24))

        async def stop(self) -> None:
            """The app's own quit first (it restores the page), then its whole group, for sure."""
            task, self._task = self._task, None
            if task is None:
                return
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
            await asyncio.wait({task}, timeout=STOP_GRACE)
            if self._process is not None:
                await end_group(self._process.pid)
            await task  # its stdout is closed now: it ends

    class LkDebugServer(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title="lkdebug (served)")
            self.sessions: dict[web.WebSocketResponse, Session] = {}
            self.starting = 0

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(guard)
            app.router.add_get("/ws/{token}", self.handle_websocket)
            return app

        def initialize_logging(self) -> None:
            """One line per event, control characters shown: textual-serve logs a malformed request
            (any web page can send one) as a page of traceback with locals in the host's terminal."""
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(OneLine())
            logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

        async def on_startup(self, app: web.Application) -> None:
            """Silent: textual-serve would print its banner and a URL without the secret."""

        async def on_shutdown(self, app: web.Application) -> None:
            # Handlers wait on their browser; closing the sockets lets them return and stop their app.
            await asyncio.gather(*(session.stop() for session in self.sessions.values()))
            await asyncio.gather(*(websocket.close(code=WSCloseCode.GOING_AWAY, message=b"lkdebug serve stopped")
                                   for websocket in self.sessions))

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict:
            # The page links its WebSocket to the address the browser used (with --host 0.0.0.0
            # textual-serve would name ws://0.0.0.0), and the secret goes in its path: the page's
            # script appends ?width=...&height=... to whatever URL it is given.
            # No await before the URL is used, so no other request sees this request's Host.
            self.public_url = f"{request.scheme}://{request.host}"
            context = await Server.handle_index.__wrapped__(self, request)
            context["app_websocket_url"] += f"/{secret}"
            return context

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler with lkdebug's Session, the session cap and clamped sizes."""
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            if len(self.sessions) + self.starting >= max_sessions:
                await websocket.send_bytes(
                    f"lkdebug serve: {max_sessions} session(s) open already (--max-sessions {max_sessions}); "
                    "close one and reload this page\r\n".encode()
                )
                await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many lkdebug sessions")
                return websocket
            width = clamp(to_int(request.query.get("width", "80"), 80), MAX_WIDTH, 80)
            height = clamp(to_int(request.query.get("height", "24"), 24), MAX_HEIGHT, 24)
            session = Session(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                              close=websocket.close, download_manager=self.download_manager)
            self.starting += 1
            try:
                await session.start(width, height)
            finally:
                self.starting -= 1
            self.sessions[websocket] = session
            try:
                await self._process_messages(websocket, session)
            except Exception as error:  # a malformed message ends this tab, not the server
                logging.getLogger("textual-serve").warning("session ended: %s", error)
            finally:
                del self.sessions[websocket]
                await session.stop()
            return websocket

    return LkDebugServer()
