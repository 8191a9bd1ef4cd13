"""`lkdebug demo`: the TUI against a stand-in server and NTP responder on loopback, with fake keys.

Nothing of the user's machine is read: the settings come from a small fake project that lkdebug
writes into its own throwaway folder, with an empty environment, so a newcomer sees lkdebug work
(and which file wins, and why) before setting anything up.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def write_demo_project(url: str, project_dir: Path) -> None:
    """A small fake app folder in lkdebug's own throwaway directory: `.env` holds the keys and a
    stale URL, `.env.local` the stand-in's URL, so the Environment tab shows which file wins and why."""
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

    (project_dir / ".env").write_text(
        "# lkdebug demo project (fake keys)\n"
        "LIVEKIT_URL=ws://localhost:7880\n"
        f"LIVEKIT_API_KEY={DEMO_API_KEY}\n"
        f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n"
    )
    (project_dir / ".env.local").write_text(f"LIVEKIT_URL={url}\nNEXT_PUBLIC_LIVEKIT_URL={url}\n")


def demo_settings(project_dir: Path):
    """Settings from the demo project, discovered by the core like any other (nothing of the machine)."""
    from lkdebug.core.sources import load_settings

    return load_settings(project_dir, environ={}, home=project_dir, container=False)


def demo_app(server, ntp, project_dir: Path, tab: str = "env"):
    """The TUI on a running stand-in and NTP responder (shared with the screenshots)."""
    from lkdebug.tui.app import LkDebugApp

    write_demo_project(server.url.replace("http://", "ws://", 1), project_dir)
    return LkDebugApp(
        demo_settings(project_dir),
        load_settings=lambda: demo_settings(project_dir),
        tab=tab,
        demo="stand-in server, fake keys",
        ntp_servers=[ntp.address],
    )


def run(args: argparse.Namespace) -> int:
    from lkdebug.commands.tui import require_terminal
    from lkdebug.demo.ntp import NtpResponder

    require_terminal()
    from lkdebug.demo.server import run_in_thread

    with tempfile.TemporaryDirectory(prefix="lkdebug-demo-") as folder, run_in_thread() as server, \
            NtpResponder() as ntp:
        app = demo_app(server, ntp, Path(folder), getattr(args, "tab", "env"))
        app.run()
    return app.return_code or 0
