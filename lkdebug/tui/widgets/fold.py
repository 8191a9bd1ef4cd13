"""A collapsed section's title line, standing in for a Textual `Collapsible` until it is first opened.

A Collapsible is three widgets (itself, its title, its contents), 30 to 60 KiB each, and the
Builder has six that most people never open. A Fold draws the same two lines a collapsed
Collapsible draws (its top edge, then `▶ title` with the title's colours when focused or
hovered) as one widget; opened (enter, or a click on the title) it asks its parent, with
`Fold.Opened`, to put the real Collapsible, already open, in its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

SYMBOL = "▶"


class Fold(Widget, can_focus=True):
    ALLOW_SELECT = False
    # The Collapsible's own rules and its title's (textual.widgets._collapsible), on one widget:
    # the title's are the component class, drawn only under the title's cells.
    DEFAULT_CSS = """
    Fold {
        width: 1fr;
        height: 2;
        background: $surface;
        border-top: hkey $background;
        pointer: pointer;
        &:focus { background-tint: $foreground 5%; }
        &:ansi { border-top: hkey ansi_blue; background: $panel; }
        & > .fold--title {
            text-style: $block-cursor-blurred-text-style;
            color: $block-cursor-blurred-foreground;
        }
        &.-title-hover > .fold--title { background: $block-hover-background; color: $foreground; }
        &:focus > .fold--title {
            text-style: $block-cursor-text-style;
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """
    COMPONENT_CLASSES = {"fold--title"}
    BINDINGS = [Binding("enter", "open", "Toggle collapsible", show=False)]

    @dataclass
    class Opened(Message):
        fold: Fold

        @property
        def control(self) -> Fold:
            return self.fold

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id)
        self.title = title

    @property
    def _label(self) -> str:
        return f"{SYMBOL} {self.title}"

    def _on_title(self, event: events.MouseEvent) -> bool:
        # The title is padded by one cell each side, on the line under the top edge.
        offset = event.get_content_offset(self)
        return offset is not None and offset.y == 0 and offset.x < len(self._label) + 2

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        blank = Style(bgcolor=self.background_colors[1].rich_color)
        if y:
            return Strip([Segment(" " * width, blank)], width)
        title = self.get_component_rich_style("fold--title")
        pad = Style(bgcolor=title.bgcolor)
        label = self._label
        return Strip([
            Segment(" ", pad),
            Segment(label, title + Style.from_meta({"offset": (0, 0)})),
            Segment(" ", pad),
            Segment(" " * (width - len(label) - 2), blank),
        ], width)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.set_class(self._on_title(event), "-title-hover")

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if not self._on_title(event):
            # Beside its title a Collapsible's line takes no focus: the click focuses what holds it.
            holder = next((node for node in self.ancestors if isinstance(node, Widget) and node.focusable), None)
            self.screen.set_focus(holder, scroll_visible=False)

    def on_leave(self) -> None:
        self.remove_class("-title-hover")

    def on_click(self, event: events.Click) -> None:
        if self._on_title(event):
            event.stop()
            self.action_open()

    def action_open(self) -> None:
        self.post_message(self.Opened(self))
