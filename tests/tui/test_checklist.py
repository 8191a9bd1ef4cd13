"""Checklist: a compact SelectionList's cells and keys, as one plain widget."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Input, SelectionList

from lkdebug.tui.widgets.checklist import Checklist

OPTIONS = [("roomJoin", "join", True), ("roomCreate", "create"), ("roomList", "list"), ("roomAdmin", "admin")]


class Side(App):
    """A SelectionList above a Checklist of the same options, in a form."""

    def compose(self):
        with VerticalScroll():
            yield Input(id="first")
            yield SelectionList(*OPTIONS, compact=True, id="real")
            yield Checklist(*OPTIONS, id="mine")
        self.changes = []

    def on_checklist_changed(self, message: Checklist.Changed) -> None:
        self.changes.append(message.checklist.selected)


def rows(app, widget) -> list[list[tuple[str, object]]]:
    """The screen's cells over `widget`: (text, style) per segment, as the terminal gets them."""
    strips = app.screen._compositor.render_strips()
    region = widget.region
    return [[(seg.text, seg.style) for seg in strips[y].crop(region.x, region.right)] for y in range(region.y, region.bottom)]


async def both(pilot, keys: tuple[str, ...]):
    """Focus each list in turn, press `keys`, and return what each draws then."""
    app = pilot.app
    drawn = []
    for selector in ("#real", "#mine"):
        app.query_one(selector).focus()
        await pilot.press(*keys)
        await pilot.pause()
        drawn.append(rows(app, app.query_one(selector)))
    return drawn


async def test_a_checklist_draws_what_a_compact_selection_list_draws():
    app = Side()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        real, mine = app.query_one("#real"), app.query_one("#mine")
        assert mine.region.height == real.region.height == len(OPTIONS)
        assert rows(app, mine) == rows(app, real)


@pytest.mark.parametrize("keys", [(), ("down",), ("down", "space"), ("up",), ("end", "enter"), ("down", "down", "home"),
                                  ("pagedown",), ("end", "pageup"), ("down", "space", "space")])
async def test_keys_move_and_toggle_as_in_a_selection_list(keys):
    app = Side()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        real, mine = await both(pilot, keys)
        assert mine == real
        assert app.query_one("#mine", Checklist).selected == list(app.query_one("#real", SelectionList).selected)


async def test_hover_and_a_click_as_in_a_selection_list():
    app = Side()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        real, mine = app.query_one("#real"), app.query_one("#mine")
        plain = rows(app, mine)
        await pilot.hover("#mine", offset=(6, 2))
        await pilot.pause()
        hovered = rows(app, mine)
        await pilot.hover("#real", offset=(6, 2))
        await pilot.pause()
        assert rows(app, real) == hovered != plain
        for selector in ("#real", "#mine"):
            await pilot.click(selector, offset=(6, 2))
            await pilot.pause()
        assert mine.selected == list(real.selected) == ["join", "list"]
        assert app.changes == [["join", "list"]] and app.focused is mine


async def test_the_builders_grant_lists_toggle_grants(app):
    from lkdebug.core import server_rules

    from .conftest import open_tab

    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        app.query_one("#f-video-canPublishSources").focus()
        await pilot.press("down", "space")
        await pilot.pause()
        claims = server_rules.parse_unverified(app.tokens["builder"]).claims
        assert claims["video"]["canPublishSources"] == ["microphone"]


async def test_an_empty_checklist_takes_its_keys_without_failing():
    class Empty(App):
        def compose(self):
            yield Checklist(id="none")

    app = Empty()
    async with app.run_test(size=(20, 4)) as pilot:
        app.query_one(Checklist).focus()
        await pilot.press("down", "up", "end", "home", "pagedown", "pageup", "space")
        assert app.query_one(Checklist).selected == [] and app.is_running
