"""A JWT with its three parts coloured (header, payload, signature); the signature masked unless revealed."""

from __future__ import annotations

from rich.text import Text

from lkdebug.core.redact import mask_token

PART_STYLES = ("bold yellow", "bold magenta", "bold cyan")


def jwt_text(raw: str, reveal: bool) -> Text:
    shown = mask_token(raw, reveal)
    text = Text("token ", style="bold")
    text.append(f"({len(raw)} bytes)\n", style="dim")
    for index, part in enumerate(shown.split(".", 2)):
        if index:
            text.append(".", style="dim")
        text.append(part, style=PART_STYLES[min(index, 2)])
    return text
