"""A one-line choice that cycles through a few values (space, enter, left/right, or a click).

Used for tristate grants, the participant kind and the Connectivity token choice instead of
`Select`: a Select is a small tree of widgets with its own overlay (~0.3 MB each), and these
choices have two to seven values that read well in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Cycle(Widget, can_focus=True):
    DEFAULT_CSS = """
    Cycle { height: 1; width: 1fr; }
    Cycle:focus { background: $block-cursor-background; color: $block-cursor-foreground; }
    """
    BINDINGS = [
        Binding("space,enter,right", "step(1)", "Next", id="cycle-next", show=False),
        Binding("left", "step(-1)", "Previous", id="cycle-previous", show=False),
    ]

    value: reactive[str] = reactive("", init=False)

    @dataclass
    class Changed(Message):
        cycle: Cycle
        value: str

        @property
        def control(self) -> Cycle:
            return self.cycle

    def __init__(self, options: list[tuple[str, str]], value: str | None = None, **kwargs) -> None:
        """`options` are (label, value) pairs; the first is the default."""
        super().__init__(**kwargs)
        self._options = options
        self.set_reactive(Cycle.value, value if value is not None else options[0][1])

    def render(self) -> Text:
        labels = dict((v, label) for label, v in self._options)
        text = Text("‹ ", style="dim")
        text.append(labels.get(self.value, self.value))
        text.append(" ›", style="dim")
        return text

    def action_step(self, step: int) -> None:
        values = [v for _, v in self._options]
        index = values.index(self.value) if self.value in values else 0
        self.value = values[(index + step) % len(values)]

    def on_click(self) -> None:
        self.action_step(1)

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))
