"""`lkdebug` / `lkdebug tui`: discover the settings, open the TUI, exit with its return code."""

from __future__ import annotations

import argparse
import sys


def require_terminal() -> None:
    """The TUI draws on a terminal; in a pipe or a cron job it would write escape codes until killed."""
    from lkdebug.exitcodes import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the TUI needs a terminal (stdin and stdout are not one here); "
                         "without one, run `lkdebug check` (or `lkdebug report`, `lkdebug env`)")


def run(args: argparse.Namespace) -> int:
    from lkdebug.commands.common import ntp_servers, settings_from_args

    if not getattr(args, "served", False):  # `serve` runs each session on a pipe of its own
        require_terminal()
    settings = settings_from_args(args)  # a bad --dir or --env-file is a usage error before any UI
    servers = ntp_servers(args)

    from lkdebug.tui.app import LkDebugApp

    app = LkDebugApp(
        settings,
        load_settings=lambda: settings_from_args(args),
        tab=args.tab,
        token=args.token,
        served=getattr(args, "served", False),
        allow_reveal=getattr(args, "allow_reveal", False) or not getattr(args, "served", False),
        ntp_servers=servers,
    )
    app.run()
    return app.return_code or 0
