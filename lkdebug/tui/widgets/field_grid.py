"""A form group's fields under one column of labels, the labels drawn by the group itself.

A `Grid` of Label | field cells cost a widget per label (30 to 60 KiB each: Textual's per-widget
state, its message queue and task, the lines it keeps once drawn), 16 of them in the Builder.
Here the fields are the only children, laid out one under another after a left margin (the
label column's width, set in the stylesheet); the group draws each field's label in that
margin, on the field's first line, cell for cell as a Label in a grid cell drew it. A child with
no label (a field's error line) takes the whole width, as a cell spanning both columns did.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget


class FieldGrid(Widget):
    DEFAULT_CSS = """
    FieldGrid { layout: vertical; width: 1fr; height: auto; }
    FieldGrid > * { width: 1fr; }
    """
    COMPONENT_CLASSES = {"field-grid--label"}

    def __init__(self, rows: list[tuple[str, Widget]], **kwargs) -> None:
        """`rows` are (label, field) pairs, in the order shown."""
        super().__init__(*(field for _, field in rows), **kwargs)
        self._labels = {field: label for label, field in rows}

    def label_at(self, y: int) -> tuple[str, int] | None:
        """The label drawn on line `y` and the label column's width, if a field starts there."""
        for child in self.displayed_children:
            label = self._labels.get(child)
            if label is not None and child.virtual_region_with_margin.y == y:
                return label, child.styles.margin.left
        return None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        blank = Style(bgcolor=self.background_colors[1].rich_color)
        found = self.label_at(y)
        if found is None:
            return Strip([Segment(" " * width, blank)], width)
        label, column = found
        text = Text(label, no_wrap=True, overflow="ellipsis", end="")
        text.truncate(column, overflow="ellipsis")
        # The label's own cells in its colour (a Label is as wide as its text), the rest blank.
        style = self.get_component_rich_style("field-grid--label") + Style.from_meta({"offset": (0, 0)})
        return Strip([Segment(text.plain, style), Segment(" " * (width - text.cell_len), blank)], width)

    def on_resize(self) -> None:
        # A field grew or shrank (an error line came or went, a list changed height): the labels
        # under it move down or up.
        self.refresh()
