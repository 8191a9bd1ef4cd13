"""The display rules every renderer shares: the mark, word and colour of each severity and probe status.

Defined once so the CLI (ANSI), the TUI (Rich styles) and the Markdown report (emoji) cannot drift
apart. The symbol alone carries the meaning, so NO_COLOR and TERM=dumb lose nothing.
"""

from __future__ import annotations

from lkdebug.core.records import dataclass

from lkdebug.core.model import CheckStatus, Severity


@dataclass(frozen=True)
class Mark:
    symbol: str  # what a terminal shows, colour or not
    label: str  # the word beside it
    ansi: str  # SGR parameters for the CLI
    style: str  # Rich style for the TUI
    emoji: str  # the Markdown report's icon


SEVERITY: dict[Severity, Mark] = {
    Severity.ERROR: Mark("✗", "error", "31", "bold red", "❌"),
    Severity.WARNING: Mark("!", "warning", "33", "bold yellow", "⚠️"),
    Severity.INFO: Mark("i", "info", "36", "cyan", "ℹ️"),
    Severity.OK: Mark("✓", "ok", "32", "green", "✅"),
}

STATUS: dict[CheckStatus, Mark] = {
    CheckStatus.PASS: Mark("✓", "pass", "32", "green", "✅"),
    CheckStatus.WARN: Mark("!", "warn", "33", "yellow", "⚠️"),
    CheckStatus.FAIL: Mark("✗", "fail", "31", "bold red", "❌"),
    CheckStatus.SKIP: Mark("-", "skip", "2", "dim", "⏭️"),
    CheckStatus.RUNNING: Mark("…", "run", "36", "bold cyan", "…"),
}

# The roles a span of rendered text can have besides a severity (render.finding_spans): each
# renderer maps them to its own styling, the CLI to ANSI, the TUI to Rich.
ROLE_ANSI = {"title": "1", "fix": "1", "code": "2", "detail": "", "": ""}
ROLE_STYLE = {"title": "bold", "fix": "bold", "code": "dim", "detail": "", "": ""}


def ansi_for(role: str) -> str:
    """SGR parameters for a span role: a severity's colour, or the role's own."""
    for severity, mark in SEVERITY.items():
        if role == severity.value:
            return mark.ansi
    return ROLE_ANSI.get(role, "")


def style_for(role: str) -> str:
    """Rich style for a span role (the TUI's counterpart of `ansi_for`)."""
    for severity, mark in SEVERITY.items():
        if role == severity.value:
            return mark.style
    return ROLE_STYLE.get(role, "")
