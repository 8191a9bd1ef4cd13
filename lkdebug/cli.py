"""The command line: `lkdebug` opens the TUI; subcommands are headless (DESIGN §3).

This module parses arguments and dispatches; each command lives in `lkdebug/commands/` and
imports only what it uses, so `lkdebug token decode` never pays for textual or livekit-api.
Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import os
import sys

from lkdebug import __version__


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # at least one finding of severity error
    USAGE = 2  # bad flag, unreadable file
    INTERNAL = 3  # a bug in lkdebug: one line and a hint, never a traceback


class UsageError(Exception):
    """Raised by a command for bad input the user can fix: printed as one line, exit 2."""


SOURCES = ("camera", "microphone", "screen_share", "screen_share_audio")
TABS = ("env", "builder", "decoder", "connectivity")


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options every command takes. Subparsers use SUPPRESS so `lkdebug --dir X env` works too."""

    def default(value):
        return argparse.SUPPRESS if suppress else value

    g = parser.add_argument_group("settings")
    g.add_argument("--dir", default=default("."), metavar="DIR", help="project folder whose .env files are read (default: .)")
    g.add_argument("--env-file", action="append", default=default([]), metavar="FILE", help="one more dotenv file, read last (repeatable)")
    g.add_argument("--config", default=default(None), metavar="FILE", help="a livekit-server config to compare keys with (default: looked up)")
    g.add_argument("--url", default=default(None), metavar="URL", help="override the discovered LiveKit URL")
    g.add_argument("--api-key", default=default(None), metavar="KEY", help="override the discovered API key")
    g.add_argument("--api-secret-file", default=default(None), metavar="FILE", help="read the API secret from FILE (never a flag value)")
    g.add_argument("--reveal", action="store_true", default=default(False), help="show secrets and whole tokens; masked otherwise")


def _token_create_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--identity", help="participant identity (the `sub` claim)")
    p.add_argument("--name", help="display name")
    p.add_argument("--room", help="room the grants apply to")
    for flag, grant in (
        ("--join", "roomJoin"), ("--admin", "roomAdmin"), ("--create", "roomCreate"), ("--list", "roomList"),
        ("--record", "roomRecord"), ("--ingress-admin", "ingressAdmin"), ("--hidden", "hidden"),
        ("--can-update-metadata", "canUpdateOwnMetadata"),
    ):
        p.add_argument(flag, action="store_true", help=f"grant video.{grant}")
    for flag, grant in (("--can-publish", "canPublish"), ("--can-subscribe", "canSubscribe"), ("--can-publish-data", "canPublishData")):
        p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=f"set video.{grant} (absent: the server's default)")
    p.add_argument("--allow-source", action="append", choices=SOURCES, default=[], help="video.canPublishSources (repeatable)")
    p.add_argument("--sip-admin", action="store_true", help="grant sip.admin")
    p.add_argument("--sip-call", action="store_true", help="grant sip.call")
    p.add_argument("--kind", help="participant kind: standard, ingress, egress, sip, agent, connector, bridge")
    p.add_argument("--metadata", help="participant metadata")
    p.add_argument("--attribute", action="append", default=[], metavar="KEY=VALUE", help="participant attribute (repeatable)")
    p.add_argument("--valid-for", default="6h", metavar="DURATION", help="lifetime: 30s, 10m, 6h, 1d (default 6h)")
    p.add_argument("--grant", metavar="JSON", help="more video grants as JSON, e.g. '{\"canPublish\": false}'")
    p.add_argument("--json", action="store_true", help="print {token, header, claims} as JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lkdebug",
        description="A terminal debugger for LiveKit authentication and connection problems.",
        epilog="Exit codes: 0 no error finding, 1 an error finding, 2 usage error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"lkdebug {__version__}")
    _common(parser, suppress=False)
    # `lkdebug --tab decoder --token T` as well as `lkdebug tui --tab ...`: bare lkdebug is the TUI.
    # Their own dests, so a subcommand's --token (check, report) never overwrites them.
    parser.add_argument("--tab", dest="top_tab", choices=TABS, default=argparse.SUPPRESS, help="the TUI tab to open with")
    parser.add_argument("--token", dest="top_token", default=argparse.SUPPRESS, help="a token to open the TUI's Decoder with")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _common(p, suppress=True)
        return p

    p = command("tui", "open the TUI (the default)")
    p.add_argument("--tab", choices=TABS, default=None)
    p.add_argument("--token", help="a token to open the Decoder with")
    # Set by `lkdebug serve` for each browser session; not for people to type.
    p.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--allow-reveal", action="store_true", help=argparse.SUPPRESS)

    command("demo", "start the loopback stand-in LiveKit server and NTP responder, open the TUI on them")

    p = command("env", "where every LiveKit setting comes from, and what is wrong with it")
    p.add_argument("--json", action="store_true")

    p = command("token", "create or decode access tokens")
    token_sub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    p = token_sub.add_parser("create", help="mint a token with the discovered key and secret")
    _common(p, suppress=True)
    _token_create_arguments(p)
    p = token_sub.add_parser("decode", help="explain a token: claims, times, signature, the server's verdict")
    _common(p, suppress=True)
    p.add_argument("token", nargs="?", help="the token, or '-' to read stdin (read when absent and stdin is not a TTY)")
    p.add_argument("--json", action="store_true")

    p = command("check", "run the offline checks and the network probes")
    p.add_argument("--token", help="the token to test (default: one minted from the settings)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="bound for every probe (default 5)")
    p.add_argument("--ntp-server", action="append", default=[], metavar="HOST[:PORT]", help="NTP server (repeatable; replaces the defaults)")
    p.add_argument("--no-network", action="store_true", help="offline checks only")
    p.add_argument("--json", action="store_true")

    p = command("report", "a redacted report, ready to paste into an issue")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--token", help="a token to include (its signature is never shown)")
    p.add_argument("--network", action="store_true", help="also run the network probes")

    p = command("serve", "serve the TUI in a web browser for paired debugging")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; any other needs --public)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--public", action="store_true", help="allow binding to a non-loopback address")
    p.add_argument("--allow-reveal", action="store_true", help="let the served session reveal secrets")
    return parser


# command name -> module in lkdebug.commands with `run(args) -> int`
_MODULES = {
    "tui": "tui", "demo": "demo", "env": "env", "token": "token", "check": "check",
    "report": "report", "serve": "serve",
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "tui"
    if command != "tui" and (hasattr(args, "top_tab") or hasattr(args, "top_token")):
        parser.error(f"--tab and --token before the command are the TUI's; `lkdebug {command}` takes its own options after its name")
    if command == "tui":
        if not hasattr(args, "tab"):
            args.tab, args.token, args.served, args.allow_reveal = None, None, False, False
        args.tab = args.tab or getattr(args, "top_tab", None) or "env"
        args.token = args.token or getattr(args, "top_token", None)
    try:
        module = importlib.import_module(f"lkdebug.commands.{_MODULES[command]}")
        return int(module.run(args))
    except UsageError as error:
        print(f"lkdebug: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as error:  # the one place a bug becomes a line instead of a traceback
        if os.environ.get("LKDEBUG_DEBUG"):
            raise
        print(
            f"lkdebug: internal error: {type(error).__name__}: {error} "
            "(this is a bug; rerun with LKDEBUG_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL
