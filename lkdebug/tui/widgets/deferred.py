"""Like textual.lazy.Lazy, but built when its tab is first opened, and its module imported then too.

Lazy needs the widget built at compose time, so its module (and what that imports) would still
load before the first frame; the hidden tabs' modules are most of the TUI's import time. And a
tab never opened costs nothing: its pane's widgets (the Builder's form alone is about a hundred,
30 to 90 KiB each) are built when the user first switches to it, after the frame showing the switch.
"""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget


class Deferred(Widget):
    """Stands in a tab's pane (shown when the app's `shown_tab` names it) for the widget `module.name(**kwargs)`."""

    DEFAULT_CSS = "Deferred { display: none; }"

    @dataclass
    class Ready(Message):
        """The real widget is mounted in the Deferred's place (posted to the app, which focuses it)."""

        widget: Widget

    def __init__(self, module: str, name: str, **kwargs: object) -> None:
        super().__init__()
        self._target = (module, name, kwargs)
        self._building = False

    def on_mount(self) -> None:
        # Called at once with the current tab too: a pane opened at start (`--tab decoder`) is
        # built right after the first frame.
        self.watch(self.app, "shown_tab", self._tab_opened)

    def _tab_opened(self, current: str | None) -> None:
        if current != self.parent.id or self._building:
            return
        self._building = True
        # The app leaves the focus on the tab bar until the pane is built (it focuses it on Ready).
        self.call_after_refresh(self._replace)

    async def _replace(self) -> None:
        module, name, kwargs = self._target
        widget = getattr(importlib.import_module(module), name)(**kwargs)
        await self.parent.mount(widget, after=self)
        await self.remove()
        # Straight to the app: a message bubbling up from the widget stops after its sender, and
        # the sender is whatever was running when the tab opened (the app, for `--tab`).
        self.app.post_message(self.Ready(widget))
        # Building and first styling a pane leaves cyclic garbage (Textual's virtual nodes for
        # component classes, strips) that lives on into the oldest generation, where the
        # collector seldom looks: about 1.5 MiB of peak memory once every tab was opened. One full
        # collection once the pane is drawn returns it to the allocator (10-30 ms, after the frame).
        widget.call_after_refresh(gc.collect)
