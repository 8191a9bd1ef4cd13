"""The line at the top: which LiveKit target lkdebug is looking at, and where each value came from."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lkdebug.core.model import Settings
from lkdebug.core.redact import mask_key


def target_text(settings: Settings | None, reveal: bool, tag: tuple[str, str] | None = None) -> Text:
    """`tag` is ("DEMO", "stand-in server, fake keys") or ("SERVED", ...): shown first, in reverse."""
    text = Text()
    if tag:
        text.append(f" {tag[0]} ", style="bold reverse")
        text.append(" ")
        text.append(f"{tag[1]}  ", style="bold")
    if settings is None or not (settings.url or settings.api_key or settings.api_secret):
        text.append("no LiveKit settings found", style="bold yellow")
        return text
    # An 80-column line: the URL and the masked key with their source; the secret only when it
    # is missing (the Environment tab has its length and fingerprint). A shared source is named once.
    url = settings.url.value if settings.url else None
    key = mask_key(settings.api_key.value, reveal) if settings.api_key else None
    parts = [
        (url or "no URL", settings.url),
        (f"key {key}" if key else "no API key", settings.api_key),
    ]
    if not settings.api_secret:
        parts.append(("no secret", None))
    found = [s for s in (settings.url, settings.api_key) if s]
    shared = found[0].source if len(found) == 2 and found[0].source == found[1].source else None
    # Gaps end a span rather than start the next: SVG renderers drop a span's leading spaces.
    for index, (value, setting) in enumerate(parts):
        if index:
            text.append("· ", style="dim")
        text.append(value + " ", style="bold" if setting else "bold yellow")
        if setting and not shared:
            text.append(f"({setting.source}) ", style="dim")
    if shared:
        text.append(f"from {shared}", style="dim")
    return text


class TargetHeader(Static):
    help = (
        "Target",
        "The LiveKit URL, API key and secret lkdebug uses, each with the source it came from "
        "(the Environment tab shows every source and why this one wins). Secrets stay masked "
        "until you reveal them (ctrl+r).",
    )
