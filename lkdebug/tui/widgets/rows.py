"""Evidence rows at 80 columns: one line per row, cut with an ellipsis; the selected row opens
underneath with its whole text.

A Static, not a DataTable or OptionList: it costs nothing before the first frame, and its lines
take whatever width the terminal has instead of scrolling sideways.
"""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

class RowList(Static, can_focus=True):
    """`title`: a line over the rows drawn as a `.section-title` (its own widget would cost the first
    frame about 5 M instructions). `after_title`: the title of text drawn after the rows (`set_rows`'
    `after`), a section of its own that is not rows (the Environment tab's sources: a Static of
    their own cost the first frame its styling and layout)."""

    DEFAULT_CSS = """
    RowList { width: 1fr; height: auto; }
    RowList:focus { background-tint: $foreground 5%; }
    RowList.-empty:focus { background-tint: $foreground 0%; }
    """
    COMPONENT_CLASSES = {"section-title"}
    BINDINGS = [
        Binding("down", "move(1)", "Next row", id="rows-down", show=False),
        Binding("up", "move(-1)", "Previous row", id="rows-up", show=False),
        Binding("pagedown", "move(5)", "Page down", id="rows-page-down", show=False),
        Binding("pageup", "move(-5)", "Page up", id="rows-page-up", show=False),
        Binding("home", "jump(0)", "First row", id="rows-home", show=False),
        Binding("end", "jump(-1)", "Last row", id="rows-end", show=False),
    ]
    help = (
        "Rows",
        "One line per row; the selected row (↑/↓, PgUp/PgDn, Home/End) opens underneath with its "
        "whole text. Past the last row the keys scroll the rest of the tab.",
    )

    cursor: reactive[int] = reactive(0, init=False)

    def __init__(self, *, id: str, title: str | None = None, after_title: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[Text, Text]] = []
        self._header: Text | None = None
        self._after: Text | None = None
        self._title = title
        self._after_title = after_title
        self._title_style: Style | None = None

    def set_rows(self, rows: list[tuple[Text, Text]], header: Text | None = None, layout: bool = True,
                 after: Text | None = None) -> None:
        """(line, detail) pairs; `layout=False` when only the text changed (a spinner frame)."""
        self._rows = rows
        self._header = header
        self._after = after
        # No row to select: its title alone is not drawn as focused (it keeps the focus, and the tab's keys).
        self.set_class(not rows, "-empty")
        self.set_reactive(RowList.cursor, min(self.cursor, max(len(rows) - 1, 0)))
        self._draw(layout)

    @property
    def lines(self) -> list[str]:
        """Every row's line uncut (drawn cut to the width)."""
        return [line.plain for line, _ in self._rows]

    @property
    def details(self) -> list[Text]:
        """Every row's whole text, as it opens under the row when selected."""
        return [detail for _, detail in self._rows]

    @property
    def selected_detail(self) -> Text | None:
        return self._rows[self.cursor][1] if self._rows else None

    @property
    def after(self) -> Text | None:
        """The text drawn after the rows, under `after_title`."""
        return self._after

    def _draw(self, layout: bool = True) -> None:
        parts: list = []
        if self._title is not None or self._after_title is not None:
            self._title_style = self.get_component_rich_style("section-title", partial=True)
        if self._title is not None:
            parts.append(Text(self._title, style=self._title_style))
        if self._header is not None:
            parts.append(self._header)
        for index, (line, detail) in enumerate(self._rows):
            line = line.copy()
            line.no_wrap, line.overflow = True, "ellipsis"
            selected = index == self.cursor and self.screen.focused is self
            if selected:
                line.stylize("reverse")
            parts.append(line)
            if selected and detail.plain:
                parts.append(Padding(detail, (0, 0, 0, 2)))
        if self._after is not None:
            if self._after_title is not None:
                parts.append(Text(self._after_title, style=self._title_style))
            parts.append(self._after)
        self.update(Group(*parts) if parts else Text(""), layout=layout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # A theme change recolours the title, text drawn in the rule's style of its time: once the
        # rule's new style is known (Textual restyles the components after telling the widget).
        if self._title_style is not None:
            self.call_later(self._restyle_title)

    def _restyle_title(self) -> None:
        if self.get_component_rich_style("section-title", partial=True) != self._title_style:
            self._draw()

    def watch_cursor(self) -> None:
        self._draw()
        self.call_after_refresh(self._show_cursor)

    def on_focus(self) -> None:
        self._draw()
        self.call_after_refresh(self._show_cursor)

    def on_blur(self) -> None:
        self._draw()

    def _show_cursor(self) -> None:
        container = self.parent
        if not isinstance(container, Widget) or not self._rows:
            return
        above = (self._title is not None) + (self._header is not None)
        top = self.virtual_region.y + above + self.cursor
        # The row and the first lines of its detail.
        container.scroll_to_region(Region(0, top, self.size.width, 4), animate=False)

    def action_move(self, step: int) -> None:
        target = min(max(self.cursor + step, 0), len(self._rows) - 1)
        if self._rows and target != self.cursor:
            self.cursor = target
        elif isinstance(self.parent, Widget):
            # At either end the keys go on scrolling the tab, so what lies past the rows is reachable.
            self.parent.scroll_relative(y=step if abs(step) == 1 else step * 2, animate=False)

    def action_jump(self, index: int) -> None:
        target = index % len(self._rows) if self._rows else 0
        if self._rows and target != self.cursor:
            self.cursor = target
        elif isinstance(self.parent, Widget):
            if index:
                self.parent.scroll_end(animate=False)
            else:
                self.parent.scroll_home(animate=False)
