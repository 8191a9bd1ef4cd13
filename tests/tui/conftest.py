"""TUI fixtures: injected Settings with fake keys and a frozen clock, so nothing from the machine leaks in."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from lkdebug.core.model import Finding, KnownKey, Setting, Settings, Severity, Source, Variable
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from tests.conftest import FROZEN_NOW


def fake_settings(url: str = "wss://fake-project.livekit.cloud") -> Settings:
    source = "/project/.env.local"
    return Settings(
        url=Setting("LIVEKIT_URL", url, ".env.local"),
        api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, ".env.local"),
        api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, ".env.local"),
        sources=[
            Source("process", "process environment", True),
            Source("dotenv", source, True),
            Source("dotenv", "/project/.env", False),
        ],
        variables=[
            Variable("LIVEKIT_URL", url, source, note="wins: .env.local overrides .env"),
            Variable("LIVEKIT_URL", "ws://localhost:7880", "/project/.env", wins=False),
            Variable("LIVEKIT_API_KEY", DEMO_API_KEY, source),
            Variable("LIVEKIT_API_SECRET", DEMO_API_SECRET, source),
        ],
        known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, ".env.local")],
        findings=[
            Finding("env.conflict", Severity.WARNING, "env", "LIVEKIT_URL is set in two files",
                    ".env says ws://localhost:7880; .env.local wins", "Remove the one you do not mean."),
        ],
    )


def make_app(settings: Settings | None = None, **kwargs):
    from lkdebug.tui.app import LkDebugApp

    return LkDebugApp(fake_settings() if settings is None else settings, now=lambda: FROZEN_NOW, **kwargs)


def token(now: float = FROZEN_NOW, valid_for: float = 3600, **video) -> str:
    from lkdebug.core.mint import build_claims, mint

    grant = {"roomJoin": True, "room": "standup", **video}
    return mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video=grant, valid_for=valid_for, now=now),
                DEMO_API_SECRET)


def drawn_label(app, tab: str) -> str:
    """The label the tab bar draws for `tab` ("1 Environment !1"): what the user reads, not a field."""
    from lkdebug.tui.app import TABS
    from lkdebug.tui.widgets.tabbar import TabBar

    number = list(TABS).index(tab) + 1
    row = app.query_one(TabBar).render_line(0).text
    return next(label for label in row.strip().split("  ") if label.startswith(f"{number} {TABS[tab]}"))


@pytest.fixture
def app():
    return make_app()


@pytest.fixture(autouse=True)
def _no_animations(monkeypatch):
    """Apps start with Textual's animations off: each tab switch slid the tab underline for 0.3 s, and Pilot
    waits for every animation to end after each key (the frames drawn are the same once it ends)."""
    from textual import constants

    monkeypatch.setattr(constants, "TEXTUAL_ANIMATIONS", "none")


# An upper bound on every wait below, so a broken app fails with a sentence instead of hanging:
# never a delay the tests sleep through (each wait ends as soon as its condition holds).
WAIT = 30.0


async def until(pilot, condition: Callable[[], object], what: str, within: float = WAIT) -> None:
    """Let the app process its messages until `condition()` holds; fail saying `what` never happened."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s")
        await pilot.pause()


async def settle(pilot) -> None:
    """Wait until the open tab's pane is built (right after the first frame; another tab's when it is first opened)."""
    def built() -> bool:
        # A hidden tab is mounted after the first frame is drawn, holding a Deferred until it is first opened.
        panes = pilot.app.query(f"#{pilot.app.query_one('#tabs').active}.pane")
        kinds = {type(child).__name__ for pane in panes for child in pane.children}
        return bool(kinds) and "Deferred" not in kinds

    await until(pilot, built, "the open tab's pane built")
    await pilot.pause()


async def open_tab(pilot, key: str) -> None:
    """Settle, then switch tabs with the digit key as a user would, and wait for its pane."""
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)


async def run_probes(pilot) -> None:
    """Enter on the Connectivity tab, then wait for the probe worker to end."""
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def plain(app, selector: str) -> str:
    """What a widget shows, as text (Rich renderables included)."""
    from rich.console import Console

    console = Console(width=120, record=True, color_system=None)
    console.print(app.query_one(selector).content)
    return console.export_text()


def screen_text(app) -> str:
    """The terminal as the user sees it now, as plain text (what `export_screenshot` draws)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()
