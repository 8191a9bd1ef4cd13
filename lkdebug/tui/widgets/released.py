"""A tab's pane that lets go of what it drew while its tab is not shown.

Textual keeps every line a widget drew (and the pieces the screen cut it into) until the widget
is drawn again: a hidden pane would keep a screenful of them per widget, about 1 MiB of peak
memory once every tab was opened. Refreshing the hidden widgets drops those lines; the pane is
drawn afresh when its tab is shown again, as after any tab switch.
"""

from __future__ import annotations

from textual.widget import Widget


class ReleasedWhenHidden:
    """Mixed into the Builder, Decoder and Connectivity panes, after their container class (whose
    stylesheet Textual follows through the first base only)."""

    def on_hide(self: Widget) -> None:
        for widget in self.walk_children(with_self=True):
            widget.refresh()
