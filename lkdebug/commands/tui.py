"""`lkdebug` / `lkdebug tui`: discover the settings, open the TUI, exit with its return code."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from lkdebug.commands.common import ntp_servers, settings_from_args

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
