"""`lkdebug demo`: the TUI against a stand-in server and NTP responder on loopback, with fake keys.

Nothing of the user's machine is read: the settings come from a throwaway folder and an
environment that holds only the demo values, so a newcomer sees lkdebug work before setting
anything up.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def demo_settings(url: str, project_dir: Path):
    """Settings pointing at the stand-in, discovered by the core like any other."""
    from lkdebug.core.sources import load_settings
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

    environ = {"LIVEKIT_URL": url, "LIVEKIT_API_KEY": DEMO_API_KEY, "LIVEKIT_API_SECRET": DEMO_API_SECRET}
    return load_settings(project_dir, environ=environ, home=project_dir, container=False)


def demo_app(server, ntp, project_dir: Path, tab: str = "env"):
    """The TUI on a running stand-in and NTP responder (shared with the screenshots)."""
    from lkdebug.tui.app import LkDebugApp

    url = server.url.replace("http://", "ws://", 1)
    return LkDebugApp(
        demo_settings(url, project_dir),
        load_settings=lambda: demo_settings(url, project_dir),
        tab=tab,
        demo="stand-in server, fake keys",
        ntp_servers=[ntp.address],
    )


def run(args: argparse.Namespace) -> int:
    from lkdebug.demo.ntp import NtpResponder
    from lkdebug.demo.server import run_in_thread

    with tempfile.TemporaryDirectory(prefix="lkdebug-demo-") as folder, run_in_thread() as server, \
            NtpResponder() as ntp:
        app = demo_app(server, ntp, Path(folder), getattr(args, "tab", "env"))
        app.run()
    return app.return_code or 0
