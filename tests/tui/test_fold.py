"""Fold: a collapsed section drawn as a collapsed Collapsible is, as one widget, opened into a real one."""

from __future__ import annotations

from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Input
from textual.widgets._collapsible import CollapsibleTitle

from lkdebug.tui.widgets.fold import Fold


class Side(App):
    """A Fold above a collapsed Collapsible of the same title, in a focusable form as the Builder's."""

    CSS = "Collapsible { padding: 0; margin: 0; }"

    def compose(self):
        with VerticalScroll(id="form"):
            yield Input(id="first")
            yield Fold("Agent grant", id="fold")
            yield Collapsible(title="Agent grant", collapsed=True, id="real")
        self.opened = []

    def on_fold_opened(self, message: Fold.Opened) -> None:
        self.opened.append(message.fold)


def rows(app, widget) -> list[list[tuple[str, object]]]:
    """The screen's cells over `widget`'s lines: (text, style) per segment, as the terminal gets them."""
    strips = app.screen._compositor.render_strips()
    region = widget.region
    return [[(seg.text, seg.style) for seg in strips[y].crop(region.x, region.right)] for y in range(region.y, region.bottom)]


async def test_a_fold_draws_what_a_collapsed_collapsible_draws_unfocused_focused_and_hovered():
    app = Side()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        fold, real = app.query_one(Fold), app.query_one("#real", Collapsible)
        assert fold.region.height == real.region.height == 2
        assert rows(app, fold) == rows(app, real)
        fold.focus()
        await pilot.pause()
        focused = rows(app, fold)
        real.query_one(CollapsibleTitle).focus()
        await pilot.pause()
        assert focused == rows(app, real)
        app.query_one("#first").focus()
        await pilot.hover("#fold", offset=(3, 1))
        await pilot.pause()
        hovered = rows(app, fold)
        await pilot.hover("#real", offset=(3, 1))
        await pilot.pause()
        assert hovered == rows(app, real) != rows(app, fold)
        # Beside the title the line is not the title's: no hover colours there.
        await pilot.hover("#fold", offset=(40, 1))
        await pilot.pause()
        beside = rows(app, fold)
        await pilot.hover("#real", offset=(40, 1))
        await pilot.pause()
        assert beside == rows(app, real)


async def test_enter_or_a_click_on_the_title_opens_it_and_a_click_beside_it_does_not():
    app = Side()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        fold = app.query_one(Fold)
        await pilot.click("#fold", offset=(40, 1))
        assert app.opened == [] and app.focused is app.query_one("#form")  # as beside a Collapsible's title
        await pilot.click("#fold", offset=(3, 1))
        assert app.opened == [fold] and app.focused is fold
        fold.focus()
        await pilot.press("enter")
        assert app.opened == [fold, fold]


async def test_tab_reaches_a_fold_as_it_reached_a_collapsible_title():
    app = Side()
    async with app.run_test(size=(60, 12)) as pilot:
        app.query_one("#first").focus()
        await pilot.press("tab")
        assert app.focused is app.query_one(Fold)
        await pilot.press("tab")
        assert isinstance(app.focused, CollapsibleTitle)
