"""F1: explain the focused widget (for a grant, what it allows, from the core's grant table)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

GENERAL_HELP = """\
**lkdebug** finds why a LiveKit client cannot connect.

- Each tab opens with its conclusion: what is wrong and the fix, root cause first. The line under
  the target names the worst problem found on any tab.
- `1`–`4` switch tabs (or click them); in a text field press `escape` first. `tab` moves between
  the regions and fields; arrows, PgUp/PgDn, Home/End and the mouse wheel scroll.
- `ctrl+p` opens the command palette: copy token, decode, run checks, reveal secrets...
- `ctrl+r` reveals or masks secrets and token signatures (masked again when you leave the tab).
- `q` quits (outside a text field), `ctrl+q` from anywhere.
"""


def help_for(widget: Widget | None) -> tuple[str, str]:
    """The nearest `help = (title, markdown)` on the widget or its ancestors."""
    node = widget
    while node is not None:
        help = getattr(node, "help", None)
        if isinstance(help, tuple) and len(help) == 2:
            return help
        node = node.parent if isinstance(node.parent, Widget) else None
    return ("lkdebug", GENERAL_HELP)


def bindings_markdown(screen: Screen) -> str:
    """The keys active where the focus is (Screen.active_bindings is what the footer shows too)."""
    rows = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.description and active.enabled:
            rows.append(f"| `{binding.key_display or key}` | {binding.description} |")
    if not rows:
        return ""
    return "\n\n| key | action |\n|---|---|\n" + "\n".join(rows)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1", "dismiss", "Close", id="help-close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._markdown = f"## {title}\n\n{body}"

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it loads on the first F1, not at startup

        with VerticalScroll(id="help-dialog"):
            yield Markdown(self._markdown)
