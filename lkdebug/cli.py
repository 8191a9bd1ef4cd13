"""The command line: `lkdebug` opens the TUI; subcommands are headless (DESIGN §3).

This module parses arguments and dispatches; each command lives in `lkdebug/commands/` and
imports only what it uses, so `lkdebug token decode` never pays for textual or livekit-api.
Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import errno
import functools
import gc
import importlib
import io
import os
import sys
from collections.abc import Callable

from lkdebug import __version__
from lkdebug.core.redact import visible
from lkdebug.exitcodes import ExitCode, UsageError

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


class _Agent(argparse.Action):
    """`--agent NAME` (repeatable) and `--job-metadata TEXT`, which lk pairs with the agent: kept as dispatches."""

    def __call__(self, parser, namespace, value, option_string=None):
        agents = list(getattr(namespace, self.dest, None) or [])
        pending = getattr(namespace, "_job_metadata", None)
        if option_string == "--job-metadata":
            if agents:
                agents[-1] = {**agents[-1], "metadata": value}
            else:
                namespace._job_metadata = value  # given before --agent, as lk allows
        else:
            agents.append({"agentName": value, **({"metadata": pending} if pending else {})})
            namespace._job_metadata = None
        setattr(namespace, self.dest, agents)


def _token_create_arguments(p: argparse.ArgumentParser) -> None:
    """One flag per row of the grant table that names one (`cli_flag`), with lk's spelling as an alias."""
    from lkdebug.core.grants import GRANTS, LK_SHORT_FLAGS

    for row in GRANTS:
        if row.cli_flag is None or row.path in ("iss", "exp"):  # --api-key is a common option; --valid-for below
            continue
        names = list(dict.fromkeys(n for n in (row.cli_flag, row.lk_flag, LK_SHORT_FLAGS.get(row.cli_flag)) if n))
        help = f"{row.path}: {row.meaning}"
        if row.type == "bool":
            p.add_argument(*names, dest=row.path, action="store_true", help=help)
        elif row.type == "tristate":
            p.add_argument(*names, dest=row.path, action=argparse.BooleanOptionalAction, default=None,
                           help=f"{help} (absent: {row.default_label})")
        elif row.type in ("list[str]", "map"):
            # Checked by the command against the table, so a bad value is one line, not argparse's usage dump.
            metavar = "KEY=VALUE" if row.type == "map" else "|".join(row.choices) or "A,B"
            p.add_argument(*names, dest=row.path, action="append", default=[], metavar=metavar,
                           help=f"{help} (repeatable{'' if row.type == 'map' else ', or comma-separated'})")
        elif row.path == "roomConfig.agents":
            p.add_argument(*names, dest=row.path, action=_Agent, metavar="AGENT_NAME",
                           help="an agent to dispatch when the room is created (repeatable)")
            p.add_argument("--job-metadata", dest=row.path, action=_Agent, metavar="TEXT",
                           help="metadata for the job of the --agent before it (lk's spelling)")
        else:
            metavar = row.cli_flag.removeprefix("--").replace("-", "_").upper()
            p.add_argument(*names, dest=row.path, metavar=metavar,
                           help=f"{help}{' One of: ' + ', '.join(row.choices) + '.' if row.choices else ''}")
    p.add_argument("--valid-for", default="6h", metavar="DURATION",
                   help="lifetime: 30s, 10m, 6h, 1d, or Go syntax such as 1h30m (default 6h; lk's is 5m)")
    p.add_argument("--grant", metavar="JSON", help="more video grants as JSON, e.g. '{\"canPublish\": false}'")
    # lk takes the secret as a flag; lkdebug refuses it with a reason instead of an "unrecognized argument".
    p.add_argument("--api-secret", help=argparse.SUPPRESS)
    p.add_argument("--lk", action="store_true", help="print the equivalent `lk token create` line instead of a token")
    p.add_argument("--json", "-j", action="store_true", help="print {token, header, claims} as JSON")
    _now_argument(p)


def _now_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--now", metavar="TIME", help="judge as if it were TIME: unix seconds or ISO 8601 (e.g. 2026-01-15T14:00:00Z)")


def _probe_arguments(p: argparse.ArgumentParser, timeout: bool = True) -> None:
    if timeout:
        p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="bound for every probe (default 5)")
    p.add_argument("--ntp-server", action="append", default=[], metavar="HOST[:PORT]",
                   help="NTP server (repeatable; replaces the defaults and $LKDEBUG_NTP_SERVERS, a comma-separated list)")


def _columns() -> int:
    """`shutil.get_terminal_size().columns`, the width argparse wraps help to."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    def _get_formatter(self) -> argparse.HelpFormatter:
        """argparse makes a formatter for every option it adds (to check the metavar), and its first one imports
        shutil for the terminal's width, which brings zlib, bz2 and lzma: more than the parsing costs."""
        return self.formatter_class(prog=self.prog, width=_columns() - 2)

    def _print_message(self, message: str, file=None) -> None:
        """As argparse's, but a failed write (--help on a full disk) is raised, not dropped: main reports it."""
        if message:
            (file or sys.stderr).write(message)


class _Commands(argparse._SubParsersAction):
    """Subcommands whose parser is made, and given its options, once the command is chosen: a run parses one
    command, and making every command's parser took longer than all that `token decode` does after parsing.
    `lkdebug --help` lists them from their help alone, as argparse's own `add_parser` records it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fills: dict[str, Callable[[], None]] = {}

    def command(self, name: str, help: str, **kwargs) -> Callable[[Callable[[argparse.ArgumentParser], None]], None]:
        """`@sub.command(name, help)` over a function that adds the command's own options (the common ones come first)."""
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), help))
        self._name_parser_map[name] = None  # a choice already; its parser comes with its options

        def register(fill: Callable[[argparse.ArgumentParser], None]) -> None:
            def make() -> None:
                parser = self._parser_class(prog=f"{self._prog_prefix} {name}", allow_abbrev=False, **kwargs)
                _common(parser, suppress=True)
                fill(parser)
                self._name_parser_map[name] = parser

            self._fills[name] = make

        return register

    def fill_all(self) -> None:
        for name in list(self._fills):
            self._fills.pop(name)()

    def __call__(self, parser, namespace, values, option_string=None):
        make = self._fills.pop(values[0], None)  # argparse has checked the name against the choices already
        if make is not None:
            make()
        super().__call__(parser, namespace, values, option_string)


def build_parser(lazy: bool = False) -> argparse.ArgumentParser:
    """The whole command line; `lazy`: each command's options are added only when that command is parsed."""
    parser = _Parser(
        prog="lkdebug",
        description="A terminal debugger for LiveKit authentication and connection problems.",
        epilog="Exit codes: 0 no error finding, 1 an error finding, 2 usage error, 3 internal error.",
        allow_abbrev=False,  # a prefix must never stand for another flag (--api-secret for --api-secret-file)
    )
    parser.add_argument("--version", action="version", version=f"lkdebug {__version__}")
    _common(parser, suppress=False)
    # `lkdebug --tab decoder --token T` as well as `lkdebug tui --tab ...`: bare lkdebug is the TUI.
    # Their own dests, so a subcommand's --token (check, report) never overwrites them.
    parser.add_argument("--tab", dest="top_tab", choices=TABS, default=argparse.SUPPRESS, help="the TUI tab to open with")
    parser.add_argument("--token", dest="top_token", default=argparse.SUPPRESS, help="a token to open the TUI's Decoder with")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands)

    def command(name: str, help: str) -> Callable[[Callable[[argparse.ArgumentParser], None]], None]:
        return sub.command(name, help, description=help)

    @command("tui", "open the TUI (the default)")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tab", choices=TABS, default=None)
        p.add_argument("--token", help="a token to open the Decoder with")
        _probe_arguments(p, timeout=False)
        # Set by `lkdebug serve` for each browser session; not for people to type.
        p.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
        p.add_argument("--allow-reveal", action="store_true", help=argparse.SUPPRESS)
        p.add_argument("--api-secret-fd", type=int, default=None, help=argparse.SUPPRESS)  # a pipe holding --api-secret-file

    @command("demo", "start the loopback stand-in LiveKit server and NTP responder, open the TUI on them")
    def _(p: argparse.ArgumentParser) -> None:
        """The common options only."""

    @command("env", "where every LiveKit setting comes from, and what is wrong with it")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true")

    @command("token", "create or decode access tokens")
    def _(p: argparse.ArgumentParser) -> None:
        token_sub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True, action=_Commands)

        @token_sub.command("create", "mint a token with the discovered key and secret")
        def _(p: argparse.ArgumentParser) -> None:
            _token_create_arguments(p)

        @token_sub.command("decode", "explain a token: claims, times, signature, the server's verdict")
        def _(p: argparse.ArgumentParser) -> None:
            p.add_argument("token", nargs="?", help="the token, or '-' to read stdin (read when absent and stdin is not a TTY)")
            p.add_argument("--json", action="store_true")
            _now_argument(p)

        if not lazy:
            token_sub.fill_all()

    @command("check", "run the offline checks and the network probes")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("--token", help="the token to test (default: one minted from the settings)")
        _probe_arguments(p)
        p.add_argument("--no-network", action="store_true", help="offline checks only")
        p.add_argument("--no-media", action="store_true", help="skip the join response, TURN and media probes")
        p.add_argument("--media", action="store_true", help="also join the room with LiveKit's Python SDK in a child process (lkdebug[media])")
        p.add_argument("--relay-only", action="store_true", help="with --media: ICE through TURN relays only")
        p.add_argument("--ice-server", action="append", default=[], metavar="URL",
                       help="a STUN/TURN server to test instead of the join response's: turn:[USER:PASS@]host:port?transport=udp (repeatable)")
        p.add_argument("--ice-user", default="", metavar="USER", help="username for --ice-server URLs without one")
        p.add_argument("--ice-password-file", default=None, metavar="FILE", help="read the --ice-server credential from FILE")
        p.add_argument("--json", action="store_true")
        _now_argument(p)

    @command("report", "a redacted report, ready to paste into an issue")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("markdown", "json"), default="markdown")
        p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
        p.add_argument("--token", help="a token to include (its signature is never shown)")
        p.add_argument("--network", action="store_true", help="also run the network probes")
        _probe_arguments(p)

    @command("webhook", "check webhook requests LiveKit sends")
    def _(p: argparse.ArgumentParser) -> None:
        webhook_sub = p.add_subparsers(dest="webhook_command", metavar="ACTION", required=True, action=_Commands)

        @webhook_sub.command("verify", "check a webhook's Authorization and body (exit 0 valid, 1 invalid)")
        def _(p: argparse.ArgumentParser) -> None:
            p.add_argument("--body", required=True, metavar="FILE|-", help="the raw request body, or '-' for stdin")
            p.add_argument("--authorization", required=True, metavar="VALUE", help="the Authorization header's value")
            p.add_argument("--json", action="store_true")

        if not lazy:
            webhook_sub.fill_all()

    @command("completion", "print the shell completion script (e.g. `source <(lkdebug completion bash)`)")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("shell", choices=("bash", "zsh", "fish"))

    @command("serve", "serve the TUI in a web browser for paired debugging")
    def _(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; any other needs --public)")
        p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
        p.add_argument("--public", action="store_true", help="allow binding to a non-loopback address")
        p.add_argument("--allow-reveal", action="store_true", help="let the served session reveal secrets and hand out tokens")
        p.add_argument("--max-sessions", type=int, default=4, metavar="N", help="browser tabs served at once (default: 4)")

    if not lazy:
        sub.fill_all()
    return parser


# command name -> module in lkdebug.commands with `run(args) -> int`
_MODULES = {
    "tui": "tui", "demo": "demo", "env": "env", "token": "token", "check": "check",
    "report": "report", "serve": "serve", "webhook": "webhook", "completion": "completion",
}


def _tolerant_streams() -> None:
    """Never fail on a character the terminal's encoding lacks (PYTHONIOENCODING=ascii, a C locale): write
    it as a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


# What a write to a full disk, a quota or a file-size limit raises (`lkdebug env > /dev/full`), to a descriptor
# open for reading only (`1</dev/null`), or to a terminal that has gone; reading never does.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF, errno.EIO)


def _silence_stdout() -> None:
    """Point stdout at /dev/null once it refuses writes, so the interpreter's last flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a file descriptor (tests capture stdout in memory)
        pass


def _write_failure(error: BaseException) -> int | None:
    """The exit code when stdout refuses the output (a closed pipe, a full disk); None for any other error."""
    if isinstance(error, BrokenPipeError):  # `lkdebug env | head`: the reader has what it wanted
        _silence_stdout()
        return ExitCode.OK
    if isinstance(error, OSError) and error.errno in _WRITE_ERRNOS and sys.stdout is not None:
        _silence_stdout()
        print(f"lkdebug: cannot write the output to stdout: {error.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    return None


class _OneLookupPerMessage:
    """argparse's gettext, with each message looked up once while the command line is built and parsed.

    argparse translates three messages for every parser it makes (its group titles, the help option's help),
    and each gettext call searches the locale folders again (`gettext.find`, about 1 M instructions): a run
    that parses `token decode` makes three parsers. A message's translation does not change within one parse.
    """

    def __enter__(self) -> None:
        self._lookup = argparse._
        argparse._ = functools.cache(self._lookup)  # functools is loaded already: re, which argparse imports, needs it

    def __exit__(self, *exc_info) -> None:
        argparse._ = self._lookup


def _parse(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    completing = "_ARGCOMPLETE" in os.environ  # the shell asks for completions (the script `lkdebug completion` prints)
    with _OneLookupPerMessage():
        parser = build_parser(lazy=not completing)  # argcomplete walks every command's options
        if completing:
            import argcomplete

            argcomplete.autocomplete(parser)
        return parser, parser.parse_args(argv)


def _freeze_at_exit() -> None:
    """Have the interpreter's last collections skip what exists when the process ends.

    Shutting down, Python collects every generation, walking every object the imports made (the modules'
    functions, classes, tables) to find cycles: about 12 M instructions for `token decode`, more than it
    spends reading the settings, decoding and printing. A run's objects live until the end anyway; the
    modules are still torn down and the streams flushed. Registered once however many times main runs (the tests call it in one process).
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    _freeze_at_exit()
    try:
        try:
            parser, args = _parse(argv)
        except SystemExit as done:  # --help and --version print, then exit
            if done.code == 0 and sys.stdout is not None:
                sys.stdout.flush()  # a full disk shows here, not as a silent exit 0
            raise
    except OSError as error:
        failed = _write_failure(error)
        if failed is None:
            raise
        return failed
    command = args.command or "tui"
    if command != "tui" and (hasattr(args, "top_tab") or hasattr(args, "top_token")):
        parser.error(f"--tab and --token before the command are the TUI's; `lkdebug {command}` takes its own options after its name")
    if command == "tui":
        if not hasattr(args, "tab"):
            args.tab, args.token, args.served, args.allow_reveal, args.ntp_server = None, None, False, False, []
        args.tab = args.tab or getattr(args, "top_tab", None) or "env"
        args.token = args.token or getattr(args, "top_token", None)
    # The headless commands' product is stdout; `serve` may run detached (`>&-`) and only logs to stderr.
    if sys.stdout is None and command in ("env", "token", "check", "report", "webhook", "completion") and not getattr(args, "output", None):
        print("lkdebug: stdout is closed, so there is nowhere to show the result (was it run with `>&-`?)", file=sys.stderr)
        return ExitCode.USAGE
    try:
        module = importlib.import_module(f"lkdebug.commands.{_MODULES[command]}")
        code = int(module.run(args))
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not after main has returned
        return code
    except UsageError as error:
        print(f"lkdebug: {visible(str(error))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the one place a bug becomes a line instead of a traceback
        failed = _write_failure(error)
        if failed is not None:
            return failed
        if os.environ.get("LKDEBUG_DEBUG"):
            raise
        print(
            f"lkdebug: internal error: {type(error).__name__}: {visible(str(error))} "
            "(this is a bug; rerun with LKDEBUG_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL
