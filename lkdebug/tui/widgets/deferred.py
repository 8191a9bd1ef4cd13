"""Like textual.lazy.Lazy, but the widget's module is imported after the first frame too.

Lazy needs the widget built at compose time, so its module (and what that imports) would still
load before the first frame; the hidden tabs' modules are most of the TUI's import time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget


class Deferred(Widget):
    DEFAULT_CSS = "Deferred { display: none; }"

    @dataclass
    class Ready(Message):
        """The real widget is mounted in the Deferred's place (posted from it, so it bubbles)."""

        widget: Widget

    def __init__(self, module: str, name: str, **kwargs: object) -> None:
        super().__init__()
        self._target = (module, name, kwargs)

    def on_mount(self) -> None:
        self.call_after_refresh(self._replace)

    async def _replace(self) -> None:
        module, name, kwargs = self._target
        widget = getattr(importlib.import_module(module), name)(**kwargs)
        await self.parent.mount(widget, after=self)
        await self.remove()
        widget.post_message(self.Ready(widget))
