"""The row of tab labels over the panes, drawn by one widget.

Textual's `Tabs` builds eight widgets for four labels (a scroll container, two layout boxes, a
`Tab` each, the underline), and `TabbedContent` wraps them and every pane again: laid out and
styled before the first frame. This draws the same two lines (the labels, then the underline
under the active one) itself; the app switches the panes on `Activated`.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.strip import Strip
from textual.widget import Widget


class TabBar(Widget, can_focus=True):
    """Tab id -> label; `active` is the shown tab's id. Clicks (on a label or its underline) and
    left/right while focused choose a tab, as on Textual's `Tabs`."""

    # The look of Textual's Tabs, Tab and Underline (their DEFAULT_CSS), rule for rule.
    DEFAULT_CSS = """
    TabBar {
        width: 100%;
        height: 2;
        pointer: pointer;
        & > .tab-bar--tab { color: $foreground 50%; }
        & > .tab-bar--hover { color: $foreground; }
        & > .tab-bar--active { color: $foreground; }
        & > .tab-bar--underline {
            color: $block-cursor-background;
            background: $foreground 10%;
        }
        &:ansi {
            & > .tab-bar--tab { text-style: dim; }
            & > .tab-bar--active { text-style: not dim bold; }
            & > .tab-bar--underline { background: $border-blurred; }
        }
        &:focus {
            & > .tab-bar--underline { background: $foreground 30%; }
            & > .tab-bar--active {
                text-style: $block-cursor-text-style;
                color: $block-cursor-foreground;
                background: $block-cursor-background;
            }
        }
    }
    """
    COMPONENT_CLASSES = {"tab-bar--tab", "tab-bar--hover", "tab-bar--active", "tab-bar--underline"}
    BINDINGS = [
        Binding("left", "move(-1)", "Previous tab", show=False),
        Binding("right", "move(1)", "Next tab", show=False),
    ]

    active: reactive[str] = reactive("")
    _hover: reactive[str | None] = reactive(None)
    # The underline slides from the tab left (`_from`, its label's columns) to the active one.
    _progress: reactive[float] = reactive(1.0)

    class Activated(Message):
        """A tab became the active one (by a key, a click or `active`)."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, labels: dict[str, str], *, active: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels = dict(labels)
        self.set_reactive(TabBar.active, active)

    def on_mount(self) -> None:
        self.post_message(self.Activated(self.active))

    def set_label(self, tab: str, label: str) -> None:
        self._labels[tab] = label
        self.refresh()  # same height, whatever the width: no layout pass

    def watch_active(self, old: str, new: str) -> None:
        self._from = self._spans()[0][old]
        self._progress = 0.0
        self.animate("_progress", 1.0, duration=0.3, level="basic")  # as Tabs slides its Underline
        self.post_message(self.Activated(new))

    def _spans(self) -> tuple[dict[str, tuple[int, int]], int]:
        """Tab id -> (first, last + 1) column of its label, and the columns scrolled off on the
        left to keep the active tab in view (as Tabs centres it when the row is wider than the bar)."""
        spans, x = {}, 0
        for tab, label in self._labels.items():
            width = cell_len(label)
            spans[tab] = (x + 1, x + 1 + width)  # one column of padding either side
            x += width + 2
        start, end = spans[self.active]
        shift = min(max(0, (start + end) // 2 - self.size.width // 2), max(0, x - self.size.width))
        return {tab: (first - shift, last - shift) for tab, (first, last) in spans.items()}, shift

    def render_line(self, y: int) -> Strip:
        # Drawn as Textual draws a Tab (label in its colours, padding in its background alone) and
        # its Underline (a Bar), so the screen is the same.
        spans, shift = self._spans()
        width = self.size.width
        blank = Style(bgcolor=self.rich_style.bgcolor)
        if y == 0:
            tab_style = self.get_component_rich_style("tab-bar--tab")
            segments = []
            for tab, label in self._labels.items():
                style = tab_style
                if tab == self.active:
                    style += self.get_component_rich_style("tab-bar--active")
                elif tab == self._hover:
                    style += self.get_component_rich_style("tab-bar--hover")
                pad = Segment(" ", Style(bgcolor=style.bgcolor))  # the focused active tab's block cursor
                segments += [pad, Segment(label, style), pad]
            strip = Strip(segments).crop(shift, shift + width)
            return strip.extend_cell_length(width, blank)
        if y > 1:
            return Strip.blank(width, blank)
        start, end = spans[self.active]
        if self._progress < 1:
            (first, last), progress = self._from, self._progress
            start, end = first + (start - first) * progress, last + (end - last) * progress
        bar = self.get_component_rich_style("tab-bar--underline")
        underline = Bar((start, end), Style.from_color(bar.color), Style.from_color(bar.bgcolor), width=width)
        console = self.app.console
        (line,) = console.render_lines(underline, console.options.update_width(width), style=blank, pad=False)
        return Strip(line, width)

    def _tab_at(self, x: int) -> str | None:
        return next((tab for tab, (first, last) in self._spans()[0].items() if first - 1 <= x < last + 1), None)

    def on_click(self, event: events.Click) -> None:
        tab = self._tab_at(event.x)
        if tab is not None:
            self.focus()
            self.active = tab

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover = self._tab_at(event.x) if event.y == 0 else None

    def on_leave(self) -> None:
        self._hover = None

    def action_move(self, step: int) -> None:
        tabs = list(self._labels)
        self.active = tabs[(tabs.index(self.active) + step) % len(tabs)]
