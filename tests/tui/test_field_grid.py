"""FieldGrid: a form group's labels drawn by the group beside its fields, as a Label | field grid drew them."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Static

from lkdebug.tui.widgets.checklist import Checklist
from lkdebug.tui.widgets.field_grid import FieldGrid

from .conftest import make_app, open_tab, screen_text

CSS = """
FieldGrid > * { margin-left: 16; }
FieldGrid > .error { margin-left: 0; }
"""


class Form(App):
    CSS = CSS

    def compose(self):
        yield FieldGrid([
            ("identity", Input(id="a", compact=True)),
            ("canPublishSources", Checklist(("camera", "camera"), ("microphone", "microphone"), id="b")),
            ("room", Input(id="c", compact=True)),
        ])


def lines(app) -> list[str]:
    return screen_text(app).splitlines()


async def test_each_label_is_drawn_on_its_fields_first_line_cut_to_the_column():
    app = Form()
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        shown = lines(app)
        assert shown[0].startswith("identity        ")
        # Cut with an ellipsis at the column's width, as a Label in a 16-cell grid column is.
        assert shown[1].startswith("canPublishSourc…") and "camera" in shown[1]
        assert shown[2].startswith("                ") and "microphone" in shown[2]
        assert shown[3].startswith("room            ")
        assert app.query_one("#c").region.x == 16


async def test_a_line_without_a_label_takes_the_whole_width_and_moves_the_labels_under_it():
    app = Form()
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        grid = app.query_one(FieldGrid)
        await grid.mount(Static("✗ not a room", classes="error"), after=app.query_one("#b"))
        await pilot.pause()
        shown = lines(app)
        assert shown[3].startswith("✗ not a room")
        assert shown[4].startswith("room            ")


async def test_clicking_a_field_beside_its_label_focuses_it():
    app = Form()
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        await pilot.click("#c")
        assert app.focused is app.query_one("#c", Input)


async def test_a_builder_error_line_sits_right_under_its_field(app):
    # The Grid this replaced sized an error's row for one column's width: a short message left a
    # blank line under it.
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        app.query_one("#group-roomConfig").focus()
        await pilot.press("enter")  # the section opened
        await pilot.pause()
        field = app.query_one("#f-roomConfig-emptyTimeout", Input)
        field.value = "abc"
        await pilot.pause()
        app.query_one("#builder-form").scroll_to_widget(field, animate=False, top=True)
        await pilot.pause()
        form = app.query_one("#builder-form").region
        shown = [line[form.x:form.right - 2].strip() for line in lines(app)]
        row = field.region.y
        assert shown[row].startswith("emptyTimeout") and "abc" in shown[row]
        assert shown[row + 1] == "✗ 'abc' is not a whole number"
        assert shown[row + 2].startswith("departureTimeout")


async def test_the_builder_labels_its_fields():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        shown = lines(app)
        for label, field in (("identity", "#f-sub"), ("kind", "#f-kind"), ("TTL", "#f-ttl")):
            region = app.query_one(field).region
            assert shown[region.y][region.x - 16:region.x].rstrip().endswith(label)
