"""The start of the TUI: no full garbage collection walks the loaded modules before the first frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A headless start with the settings of a project folder, counting the collector's full passes
# (generation 2) until Textual hands its first frame to the driver; then the child exits.
CHILD = r"""
import gc, json, os, sys
from textual.app import App

full = []
gc.callbacks.append(lambda phase, info: full.append(1) if phase == "start" and info["generation"] == 2 else None)
_display = App._display

def _first_frame(app, screen, renderable):
    _display(app, screen, renderable)
    if renderable is not None and not app._batch_count:
        # Straight to the descriptor: Textual captures sys.stdout while it runs.
        os.write(1, json.dumps({"full_collections": len(full)}).encode() + b"\n")
        os._exit(0)

App._display = _first_frame
from lkdebug.cli import build_parser
from lkdebug.commands.common import settings_from_args
from lkdebug.tui.app import LkDebugApp
settings = settings_from_args(build_parser().parse_args(["tui", "--dir", sys.argv[1]]))
full.clear()  # collections while importing and reading the settings are not the app's start
LkDebugApp(settings).run(headless=True, size=(80, 24))
"""


def first_frame(tmp_path: Path, child: str) -> dict:
    """What `child` printed at the first frame of lkdebug started on a project folder."""
    (tmp_path / ".env.local").write_text("LIVEKIT_URL=wss://fake.example\nLIVEKIT_API_KEY=APIfake\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    env |= {"HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
    assert line is not None, out.stderr[-2000:]
    return json.loads(line)


def test_no_full_collection_before_the_first_frame(tmp_path):
    assert first_frame(tmp_path, CHILD) == {"full_collections": 0}


# The same start, reporting what the first frame built: the hidden tabs (their containers, widgets
# and CSS) and the footer must come after it, the Environment tab's findings and variables in it,
# each widget styled once.
FIRST_SCREEN = r"""
import json, os, sys
from textual.app import App

from textual.css.stylesheet import Stylesheet
from textual.widget import Widget

_display = App._display
_apply = Stylesheet.apply
styled = {}

def _count_styling(stylesheet, node, **kwargs):
    if isinstance(node, Widget):
        styled[node] = styled.get(node, 0) + 1
    _apply(stylesheet, node, **kwargs)

Stylesheet.apply = _count_styling

def _first_frame(app, screen, renderable):
    _display(app, screen, renderable)
    if renderable is not None and not app._batch_count:
        hidden = sorted(pane.id for pane in screen.query(".pane") if pane.id != "env")
        selectors = {name for rule in app.stylesheet.rules for name in rule.selector_names}
        drawn = {w.id for w in screen.query("#env-findings, #env-variables") if w.region.height}
        os.write(1, json.dumps({"hidden_tabs": hidden, "builder_rules": "#builder-body" in selectors,
                                "footer": len(screen.query("KeysFooter")), "focused": str(screen.focused),
                                "env_drawn": sorted(drawn),
                                "styled_again": sorted(str(w) for w, times in styled.items() if times > 1),
                                "widgets": sorted(type(w).__name__ for w in screen.walk_children())}).encode() + b"\n")
        os._exit(0)

App._display = _first_frame
from lkdebug.cli import build_parser
from lkdebug.commands.common import settings_from_args
from lkdebug.tui.app import LkDebugApp
settings = settings_from_args(build_parser().parse_args(["tui", "--dir", sys.argv[1]]))
LkDebugApp(settings).run(headless=True, size=(80, 24))
"""


def test_the_first_frame_builds_only_the_environment_tab(tmp_path):
    assert first_frame(tmp_path, FIRST_SCREEN) == {
        "hidden_tabs": [],
        "footer": 0,
        "focused": "None",  # the pane takes the focus after the frame: the tab bar is not drawn focused first
        "builder_rules": False,
        "env_drawn": ["env-findings", "env-variables"],
        # Styled as mounted, not again when the screen is first shown (the same rules, moments later).
        "styled_again": [],
        # Each widget costs the first frame its lines and its styling: only what the screen shows (the
        # panes are the screen's own children, with no container switching them drawing under them).
        # Sorted: the order the screen holds its own layers in (ToastRack, Tooltip) differs on Python 3.13.
        "widgets": sorted(["TargetHeader", "Static", "TabBar", "EnvironmentPane", "FindingsView", "Static",
                           "VerticalScroll", "RowList", "ToastRack", "Tooltip"]),
    }


async def test_the_first_screen_is_restyled_when_shown_if_the_rules_changed_since_it_was_mounted():
    from textual import events

    from lkdebug.tui.app import MainScreen

    from .conftest import make_app

    app = make_app()
    async with app.run_test(size=(80, 24)):
        for changed, restyled in ((False, False), (True, True)):
            screen = MainScreen(id=f"probe-{changed}")
            screen._css_count = app._css_update_count - changed
            event = events.ScreenResume()
            screen.on_screen_resume(event)
            assert event.refresh_styles is restyled
            event = events.ScreenResume()
            screen.on_screen_resume(event)  # shown again (back from another screen): always restyled
            assert event.refresh_styles is True
