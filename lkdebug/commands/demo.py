"""`lkdebug demo`: the TUI against a stand-in server and NTP responder on loopback, with fake keys.

Nothing of the user's machine is read: the settings come from a small fake project that lkdebug
writes into its own throwaway folder, with an empty environment, so a newcomer sees lkdebug work
(and which file wins, and why) before setting anything up.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from lkdebug.commands.tui import require_terminal
    from lkdebug.demo.ntp import NtpResponder

    require_terminal()
    from lkdebug.demo.server import run_in_thread
    from lkdebug.tui.demo import demo_app

    with tempfile.TemporaryDirectory(prefix="lkdebug-demo-") as folder, run_in_thread() as server, \
            NtpResponder() as ntp:
        app = demo_app(server, ntp, Path(folder), getattr(args, "tab", "env"))
        app.run()
    return app.return_code or 0
