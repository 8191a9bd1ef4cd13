"""A few yes/no choices, one line each, drawn and driven as Textual's compact `SelectionList` is.

A SelectionList is an OptionList underneath (a scrolling view with a line cache, per-option
render caches and its own module, 130 KiB more than a plain widget each, and 260 KiB of modules);
the Builder has three, of two to nine lines that never scroll. A Checklist draws the same cells
(the `▐X▌` button, the prompt, the highlight, the hover) from the same component classes and
takes the same keys (up, down, home, end, page up and down; space or enter toggles) and clicks.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

BUTTON_LEFT, BUTTON_INNER, BUTTON_RIGHT = "▐", "X", "▌"  # textual.widgets.ToggleButton's


class Checklist(Widget, can_focus=True):
    # OptionList's and SelectionList's rules (textual.widgets._option_list, _selection_list) for
    # a compact list, under their component class names.
    DEFAULT_CSS = """
    Checklist {
        width: 1fr;
        height: auto;
        color: $foreground;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .option-list--option-highlighted {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .option-list--option-highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
        & > .option-list--option-highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        & > .option-list--option-hover {
            background: $block-hover-background;
        }
        & > .selection-list--button {
            color: $panel-darken-2;
            background: $panel;
        }
        & > .selection-list--button-highlighted {
            color: $panel-darken-2;
            background: $panel;
        }
        & > .selection-list--button-selected {
            color: $text-success;
            background: $panel;
        }
        & > .selection-list--button-selected-highlighted {
            color: $text-success;
            background: $panel;
        }
    }
    """
    COMPONENT_CLASSES = {
        "option-list--option", "option-list--option-highlighted", "option-list--option-hover",
        "selection-list--button", "selection-list--button-highlighted",
        "selection-list--button-selected", "selection-list--button-selected-highlighted",
    }
    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter,space", "toggle", "Toggle option", show=False),
        Binding("home", "first", "First", show=False),
        Binding("pagedown", "page(1)", "Page Down", show=False),
        Binding("pageup", "page(-1)", "Page Up", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    highlighted: reactive[int] = reactive(0, init=False)
    _hover: reactive[int | None] = reactive(None, init=False)

    @dataclass
    class Changed(Message):
        """The set of checked values changed (a toggle)."""

        checklist: Checklist

        @property
        def control(self) -> Checklist:
            return self.checklist

    def __init__(self, *options: tuple[str, str, bool] | tuple[str, str], **kwargs) -> None:
        """(prompt, value[, checked]) per line."""
        super().__init__(**kwargs)
        self._prompts = [option[0] for option in options]
        self._values = [option[1] for option in options]
        self._checked = {option[1] for option in options if len(option) > 2 and option[2]}

    @property
    def values(self) -> list[str]:
        return list(self._values)

    @property
    def selected(self) -> list[str]:
        """The checked values, in the order shown."""
        return [value for value in self._values if value in self._checked]

    def toggle(self, value: str) -> None:
        self._checked ^= {value}
        self.refresh()
        self.post_message(self.Changed(self))

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._values)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._values):
            return Strip.blank(width, self.get_visual_style("option-list--option").rich_style)
        state = ("option-list--option-highlighted" if y == self.highlighted
                 else "option-list--option-hover" if y == self._hover else "")
        style = self.get_visual_style("option-list--option", *([state] if state else []))
        # The prompt as OptionList draws an option: the visual's strip padded to the width, the
        # option's index in every cell's meta (what a click reads).
        room = width - 4
        prompt = Content(self._prompts[y])
        line = Visual.to_strips(self, prompt, room, None, style)[0]
        line = line.extend_cell_length(room, style.rich_style).apply_meta({"option": y})
        button = "selection-list--button"
        if self._values[y] in self._checked:
            button += "-selected"
        if y == self.highlighted:
            button += "-highlighted"
        # Then the button before it, as SelectionList adds it.
        underlying = next(iter(line)).style or self.rich_style
        button_style = self.get_component_rich_style(button)
        side = Style.from_color(button_style.bgcolor, underlying.bgcolor) + Style(meta={"option": y})
        button_style += Style(meta={"option": y})
        return Strip([
            Segment(BUTTON_LEFT, side), Segment(BUTTON_INNER, button_style), Segment(BUTTON_RIGHT, side),
            Segment(" ", underlying), *line,
        ])

    def watch_highlighted(self) -> None:
        self.refresh()

    def watch__hover(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        # Up and down wrap around, as an OptionList's do.
        if self._values:
            self.highlighted = (self.highlighted + step) % len(self._values)

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = max(len(self._values) - 1, 0)

    def action_page(self, direction: int) -> None:
        # A page is the list's own height, and every line shows: to the far end, without wrapping.
        self.highlighted = max(min(self.highlighted + direction * self.size.height, len(self._values) - 1), 0)

    def action_toggle(self) -> None:
        if self._values:
            self.toggle(self._values[self.highlighted])

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover = event.style.meta.get("option")

    def on_leave(self) -> None:
        self._hover = None

    def on_click(self, event: events.Click) -> None:
        clicked = event.style.meta.get("option")
        if clicked is not None:
            self.highlighted = clicked
            self.action_toggle()
