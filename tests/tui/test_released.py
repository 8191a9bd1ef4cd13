"""A hidden tab's pane lets go of the lines it drew, and draws the same screen when shown again."""

from __future__ import annotations

import pytest

from .conftest import open_tab, screen_text, settle

PANES = {"2": "#builder-body", "3": "DecoderPane", "4": "ConnectivityPane"}


def drawn_lines(pane) -> int:
    """Lines Textual keeps for the pane's widgets (each with the pieces the screen cut it into)."""
    return sum(len(widget._styles_cache._cache) for widget in pane.walk_children(with_self=True))


@pytest.mark.parametrize("key", list(PANES))
async def test_a_pane_drops_its_drawn_lines_when_its_tab_is_left(app, key):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, key)
        await pilot.pause()
        pane = app.query_one(PANES[key])
        assert drawn_lines(pane) > 0
        await pilot.press("1")
        await pilot.pause()
        assert drawn_lines(pane) == 0


@pytest.mark.parametrize("key", list(PANES))
async def test_a_pane_shown_again_draws_what_it_drew(app, key):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, key)
        await pilot.press("escape")  # out of a text field: no cursor blinking in the comparison
        await pilot.pause()
        before = screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert screen_text(app) == before
