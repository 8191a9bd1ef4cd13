"""SVG snapshots of every tab at 80x24 and 120x36: frozen clock, fake keys, injected Settings.

Update after reviewing the report: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from .conftest import FROZEN_NOW, make_app, settle, token

SIZES = [(80, 24), (120, 36)]


async def _builder(pilot) -> None:
    await pilot.press("2")
    await pilot.pause()
    for field, text in (("#f-sub", "alice"), ("#f-video-room", "standup")):
        pilot.app.query_one(field).value = text
    await pilot.pause()
    pilot.app.query_one("#builder-form").focus()


async def _decoder(pilot) -> None:
    await pilot.press("3")
    await pilot.pause()
    # A blinking cursor is drawn or not depending on when the frame is taken: freeze it drawn.
    pilot.app.query_one("#decoder-input").cursor_blink = False
    pilot.app.query_one("#decoder-input").load_text("Bearer " + token(now=FROZEN_NOW - 7200))
    await pilot.pause()


async def _connectivity(pilot) -> None:
    await pilot.press("4")


STEPS = {"env": None, "builder": _builder, "decoder": _decoder, "connectivity": _connectivity}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tab", list(STEPS))
def test_tab_snapshot(snap_compare, tab, size):
    async def run_before(pilot) -> None:
        # A tab switch slides the underline; frozen mid-slide it differs run to run.
        pilot.app.animation_level = "none"
        await settle(pilot)
        if STEPS[tab]:
            await STEPS[tab](pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_focused_tab_bar_snapshot(snap_compare):
    """The tab bar with the focus (clicked, or escape on a tab with nothing else to focus): the active
    tab in the block cursor and a brighter underline, as Textual's Tabs drew them."""
    async def run_before(pilot) -> None:
        pilot.app.animation_level = "none"
        await settle(pilot)
        pilot.app.query_one("#tabs").focus()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
