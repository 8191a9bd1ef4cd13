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


def run(args: argparse.Namespace) -> int:
    from lkdebug.demo.ntp import NtpResponder
    from lkdebug.demo.server import run_in_thread
    from lkdebug.tui.app import LkDebugApp

    with tempfile.TemporaryDirectory(prefix="lkdebug-demo-") as folder, run_in_thread() as server, \
            NtpResponder() as ntp:
        project_dir = Path(folder)
        url = server.url.replace("http://", "ws://", 1)
        app = LkDebugApp(
            demo_settings(url, project_dir),
            load_settings=lambda: demo_settings(url, project_dir),
            tab=getattr(args, "tab", "env"),
            demo=f"stand-in server {server.url} (not a real LiveKit server)",
            ntp_servers=[ntp.address],
        )
        app.run()
    return app.return_code or 0
