"""Like textual.lazy.Lazy, but the widget's module is imported after the first frame too.

Lazy needs the widget built at compose time, so its module (and what that imports) would still
load before the first frame; the hidden tabs' modules are most of the TUI's import time.
"""

from __future__ import annotations

import importlib

from textual.widget import Widget


class Deferred(Widget):
    DEFAULT_CSS = "Deferred { display: none; }"

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
