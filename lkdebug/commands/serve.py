"""`lkdebug serve`: the same TUI in a web browser (textual-serve), for paired debugging.

Safe by default: loopback only; another address needs `--public` and prints a warning; secrets
cannot be revealed in a served session unless `--allow-reveal`; the app says it is served.
Each browser tab gets its own lkdebug process with this server's settings.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

from lkdebug.cli import ExitCode, UsageError


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


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: not a TCP port")
    if args.reveal:
        raise UsageError("--reveal does not apply to serve; use --allow-reveal to let the browser session reveal secrets")
    if not is_loopback(args.host):
        if not args.public:
            raise UsageError(
                f"--host {args.host} is not a loopback address: anyone who reaches the port sees your LiveKit "
                "settings. Add --public if that is what you want, or use an SSH tunnel to 127.0.0.1"
            )
        print(
            f"lkdebug: WARNING: serving on {args.host}:{args.port}; anyone who can reach this port sees "
            "your LiveKit settings (secrets stay masked" + (", but --allow-reveal lets them reveal them" if args.allow_reveal else "") + ")",
            file=sys.stderr,
        )
    from textual_serve.server import Server

    host_in_url = f"[{args.host}]" if ":" in args.host else args.host
    server = Server(app_command(args), host=args.host, port=args.port, title="lkdebug (served)",
                    public_url=f"http://{host_in_url}:{args.port}")
    print(f"lkdebug: open http://{host_in_url}:{args.port} in a browser (Ctrl+C to stop)", file=sys.stderr, flush=True)
    server.serve()
    return ExitCode.OK
