"""Textual's Footer, rebuilt only when what it shows changes.

Footer recomposes its keys on every bindings update: each focus change, and each key typed in the
Builder's identity or the Decoder's input (they refresh the bindings, because 1-4 appear or go
with the field's text). Most of those updates leave the same keys: those are skipped here.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_bindings(screen: Screen) -> tuple:
    """What the footer draws from the screen's bindings: each shown key, its label, whether it is
    enabled and its tooltip, in order, and the command palette's key."""
    palette = screen.app.COMMAND_PALETTE_BINDING
    return tuple((binding.key, binding.action, binding.description, binding.key_display, binding.group,
                  enabled, tooltip)
                 for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
                 if binding.show or key == palette)


class KeysFooter(Footer):
    """Mounted after the first frame, when the screen has published its bindings already: it
    asks for them itself (Footer draws no key until the screen publishes them again)."""

    _shown: tuple | None = None

    def on_mount(self) -> None:  # after Footer's own on_mount, which subscribes to the updates
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        # Footer recomposes only for its own screen while the app has the focus; the keys it then
        # shows are remembered, so a later update to the same keys costs no rebuild.
        if not self.is_attached or screen is not self.screen or not screen.app.app_focus:
            return super().bindings_changed(screen)
        shown = shown_bindings(screen)
        if shown != self._shown:
            self._shown = shown
            super().bindings_changed(screen)
