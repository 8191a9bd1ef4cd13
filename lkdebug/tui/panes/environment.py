"""Environment tab (first, built before the first frame): where every LiveKit setting comes from.

It renders the Settings the core discovered (sources, variables, which value wins, env lint
findings) and asks the app to rediscover them on `r` or when a watched file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from lkdebug.core.model import Settings
from lkdebug.core.redact import display_value
from lkdebug.tui.messages import FindingsChanged
from lkdebug.tui.widgets.findings import FindingsView

NO_SETTINGS = (
    "No LiveKit settings found (no LIVEKIT_URL, LIVEKIT_API_KEY or LIVEKIT_API_SECRET in the "
    "environment or in a .env file here).\n"
    "Try `lkdebug demo` to see lkdebug work against a local stand-in server, or set them in "
    ".env.local and this tab reloads by itself."
)

# Sources that are files on disk; the others (the process environment) cannot change under us.
_FILE_KINDS = {"dotenv", "env-file", "server-config", "key-file", "lk-config"}


def display_path(path: str) -> str:
    """Shorter paths for an 80-column terminal: relative to here, or under ~."""
    try:
        relative = os.path.relpath(path)
        if not relative.startswith(".."):
            return relative
    except ValueError:
        pass
    home = str(Path.home())
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


def _stat(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class EnvironmentPane(VerticalScroll):
    help = (
        "Environment",
        "Every place lkdebug looked for LiveKit settings (found or not), every LiveKit variable "
        "with its source, length and masked value, which value wins where sources disagree, and "
        "what is wrong with them. Edit a `.env` file and this tab reloads within a second; `r` "
        "reloads now.",
    )
    BINDINGS = [Binding("r", "app.reload_settings", "Reload", id="env-reload")]

    def __init__(self) -> None:
        super().__init__(classes="tab-focus")

    def compose(self) -> ComposeResult:
        yield Static(id="env-banner")
        yield Static("Sources", classes="section-title")
        yield Static(id="env-sources")
        yield Static("Variables", classes="section-title")
        yield Static(id="env-variables")
        yield Static("Findings", classes="section-title")
        yield FindingsView(id="env-findings")

    def on_mount(self) -> None:
        self._watched: dict[str, tuple[int, int] | None] = {}
        self.watch(self.app, "settings", self._show)
        self.watch(self.app, "reveal", lambda: self._show(self.app.settings))
        # Polling a handful of stat() calls a second is cheaper and more portable than a watcher.
        self.set_interval(1.0, self._poll_files, name="env-watch")

    def _show(self, settings: Settings | None) -> None:
        settings = settings or Settings()
        reveal = self.app.reveal
        empty = not (settings.url or settings.api_key or settings.api_secret)
        banner = self.query_one("#env-banner", Static)
        banner.update(Text(NO_SETTINGS, style="bold") if empty else "")
        banner.display = empty

        sources = Text()
        for source in settings.sources:
            if not (source.loaded or source.error):
                continue
            if sources:
                sources.append("\n")
            sources.append("✓ " if source.loaded else "✗ ", style="green" if source.loaded else "bold red")
            sources.append(f"{source.kind:<14}", style="dim")
            sources.append(display_path(source.path))
            if source.error:
                sources.append(f"  {source.error}", style="bold red")
        # Places looked at and not found: one wrapped line, so the variables stay on the first screen.
        by_folder: dict[str, list[str]] = {}
        for source in settings.sources:
            if not source.loaded and not source.error:
                folder, name = os.path.split(display_path(source.path))
                by_folder.setdefault(folder, []).append(name)
        for folder, names in by_folder.items():
            if sources:
                sources.append("\n")
            sources.append(f"· not found in {folder or '.'}{os.sep}: ", style="dim")
            sources.append(", ".join(names), style="dim")
        self.query_one("#env-sources", Static).update(sources or Text("none", style="dim"))

        # A Rich table in a Static, not a DataTable: it wraps cells to fit 80 columns instead of
        # scrolling sideways, and costs nothing before the first frame.
        table = Table(box=None, expand=True, padding=(0, 1, 0, 0), header_style="bold underline")
        table.add_column("Variable", no_wrap=True)
        table.add_column("Source", ratio=1, overflow="fold")
        table.add_column("Len", justify="right")
        table.add_column("Value", ratio=2, overflow="fold")
        table.add_column("Issues", ratio=2)
        secrets = settings.secrets()
        for variable in settings.variables:
            # The winner is bold; a value another source overrides is struck through and says so.
            style = "bold" if variable.wins else "dim strike"
            issues = ", ".join(variable.issues) or variable.note or ("" if variable.wins else "overridden")
            table.add_row(
                Text(variable.name, style=style),
                # The file's name: its folder is in the sources above.
                os.path.basename(variable.source) or variable.source,
                str(len(variable.value)),
                # The same masking as `lkdebug env`: by name, and no known secret in any value.
                Text(display_value(variable.name, variable.value, secrets, reveal), style=style),
                Text(issues, style="yellow" if variable.issues else "dim"),
            )
        self.query_one("#env-variables", Static).update(table if settings.variables else Text("none", style="dim"))
        self.query_one("#env-findings", FindingsView).show(settings.findings)
        self.post_message(FindingsChanged("env", list(settings.findings)))
        self._watched = {
            s.path: _stat(s.path) for s in settings.sources if s.kind in _FILE_KINDS and s.path
        }

    def _poll_files(self) -> None:
        changed = any(_stat(path) != before for path, before in self._watched.items())
        if changed:
            self._watched = {path: _stat(path) for path in self._watched}
            self.app.action_reload_settings()
