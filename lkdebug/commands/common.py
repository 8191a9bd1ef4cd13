"""What every headless command shares: settings from the common options, exit codes."""

from __future__ import annotations

import argparse
import os
from collections.abc import Coroutine
from pathlib import Path

from lkdebug.exitcodes import ExitCode, UsageError
from lkdebug.core.model import Finding, Settings, has_error

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


def _check_file(flag: str, name: str) -> None:
    """A file given by flag must be a regular file lkdebug will read: refuse anything else in one line."""
    from lkdebug.core.settings_files import Skipped, read_settings_file

    try:
        read_settings_file(Path(name))
    except Skipped as reason:
        raise UsageError(f"{flag} {name}: {reason}") from None
    except OSError as error:
        raise UsageError(f"{flag} {name}: {_why(error)}") from None


def _why(error: OSError) -> str:
    return "no such file" if isinstance(error, FileNotFoundError) else (error.strerror or str(error)).lower()


def api_secret_text(args: argparse.Namespace) -> str:
    """--api-secret-file, read once per run: a pipe can be read only once, and the TUI reloads settings.

    A served tab's process reads it from the pipe `serve` hands it (`--api-secret-fd`): `serve` read the
    file once for all its tabs, and the name stays the user's, for the sources shown.
    """
    from lkdebug.core.settings_files import Skipped
    from lkdebug.core.sources import read_secret_file

    name = args.api_secret_file
    cache = vars(args).setdefault("_api_secret_text", {})
    inherited = getattr(args, "api_secret_fd", None)
    if name not in cache:
        try:
            cache[name] = read_secret_file(Path(name if inherited is None else f"/dev/fd/{inherited}"))
        except Skipped as reason:
            raise UsageError(f"--api-secret-file {name}: {reason}") from None
        except OSError as error:
            raise UsageError(f"--api-secret-file {name}: {_why(error)}") from None
        finally:
            if inherited is not None:
                try:  # contextlib.suppress would import contextlib, 3 M instructions every command pays, for this
                    os.close(inherited)
                except OSError:
                    pass
    return cache[name]


def settings_from_args(args: argparse.Namespace, lint: bool = True) -> Settings:
    """Discover settings as the common options say (DESIGN §3 'options for every command'); `lint` False:
    without the findings about them (`load_settings`), for a command that shows none."""
    from lkdebug.core.sources import load_settings

    project_dir = Path(args.dir)
    try:
        if not project_dir.is_dir():
            raise UsageError(f"--dir {args.dir}: not a folder")
        readable = os.access(project_dir, os.R_OK | os.X_OK)
    except OSError as error:  # a name too long, a loop of symlinks
        raise UsageError(f"--dir {args.dir}: {_why(error)}") from None
    if not readable:
        raise UsageError(f"--dir {args.dir}: permission denied (lkdebug lists it and reads its .env files)")
    for flag, names in (("--env-file", args.env_file), ("--config", [args.config] if args.config else [])):
        for name in names:
            _check_file(flag, name)
    return load_settings(
        project_dir,
        env_files=[Path(p) for p in args.env_file],
        config=Path(args.config) if args.config else None,
        url=args.url,
        api_key=args.api_key,
        api_secret_file=Path(args.api_secret_file) if args.api_secret_file else None,
        api_secret_text=api_secret_text(args) if args.api_secret_file else None,
        now=now_from_args(args),
        lint=lint,
    )


def ntp_servers(args: argparse.Namespace) -> list[tuple[str, int]] | None:
    """--ntp-server (repeatable), else $LKDEBUG_NTP_SERVERS (comma-separated), else None: the public defaults.

    An air-gapped host names its own NTP server once in the environment, for every command and the TUI.
    """
    values, origin = args.ntp_server, "--ntp-server"
    if not values:
        values = [v for v in os.environ.get("LKDEBUG_NTP_SERVERS", "").split(",") if v.strip()]
        origin = "LKDEBUG_NTP_SERVERS"
    if not values:
        return None
    from lkdebug.core.clock import parse_ntp_server  # the probes' module: only when there is a server to parse

    try:
        return [parse_ntp_server(value) for value in values]
    except ValueError as error:
        raise UsageError(f"{origin} {error}") from None


def run_probes(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with blocking helpers (name lookups, the livekit-api import) in daemon threads, so
    Ctrl+C ends the run at once (exit 130) even when one of them hangs."""
    import asyncio

    from lkdebug.core.threads import DAEMON_THREADS

    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(DAEMON_THREADS)
        return runner.run(main)


def now_from_args(args: argparse.Namespace) -> float:
    """`--now TIME` when given (a verdict for another moment), else this machine's clock."""
    import time

    if getattr(args, "now", None) is None:
        return time.time()
    from lkdebug.core.times import parse_time

    try:
        return parse_time(args.now)
    except ValueError as error:
        raise UsageError(f"--now: {error}") from None


def exit_code(findings: list[Finding]) -> int:
    return ExitCode.FINDINGS if has_error(findings) else ExitCode.OK
