"""Environment tab (first, built before the first frame): where every LiveKit setting comes from.

It renders the Settings the core discovered (env lint findings first, then the variables and
which value wins, then the sources) and asks the app to rediscover them on `r` or when a watched file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.widgets import Static

from lkdebug.core.marks import STATUS
from lkdebug.core.model import CheckStatus, Settings
from lkdebug.core.redact import display_value, visible
from lkdebug.tui.messages import FindingsChanged
from lkdebug.tui.widgets.findings import FindingsView
from lkdebug.tui.widgets.rows import RowList

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


def variable_rows(settings: Settings, reveal: bool) -> list[tuple[Text, Text]]:
    """One line per variable (name, file, length, a short label, the masked value); its detail is
    where it sits, why it wins or loses, and what is wrong with it: the prose the line has no room for."""
    secrets = settings.secrets()
    names = max((len(v.name) for v in settings.variables), default=0)
    files = max((len(_file_name(v.source)) for v in settings.variables), default=0)
    labels = [_label(v) for v in settings.variables]
    width = max((len(label) for label in labels), default=0)
    rows = []
    for variable, label in zip(settings.variables, labels):
        # The winner is bold; a value another source overrides is struck through.
        style = "bold" if variable.wins else "dim strike"
        line = Text()
        # Gaps end a column rather than start the next: SVG renderers drop a span's leading spaces.
        line.append(visible(variable.name).ljust(names) + "  ", style=style)
        line.append(f"{_file_name(variable.source).ljust(files)} ", style="dim")
        line.append(f"{len(variable.value):>4}  ")
        line.append(f"{label.ljust(width)}  ", style="yellow" if variable.issues else "dim")
        # The same masking as `lkdebug env`: by name, and no known secret in any value.
        value = visible(display_value(variable.name, variable.value, secrets, reveal))
        line.append(value, style="" if variable.wins else "dim strike")
        detail = Text(value + "\n")
        detail.append(visible(display_path(variable.source)) + (f":{variable.line}" if variable.line else ""), style="dim")
        if variable.note:
            detail.append("\n" + visible(variable.note))
        for finding in settings.findings:
            if finding.code in variable.issues and variable.name in finding.title + finding.detail:
                detail.append("\n" + visible(finding.title), style="yellow")
        rows.append((line, detail))
    return rows


def _file_name(source: str) -> str:
    # The file's name: its folder is in the sources below.
    return visible(os.path.basename(source) or source)


def _empty(settings: Settings | None) -> bool:
    return settings is None or not (settings.url or settings.api_key or settings.api_secret)


def _banner() -> Static:
    """What the tab says above everything while no LiveKit setting was found."""
    return Static(Text(NO_SETTINGS, style="bold"), id="env-banner")


def _label(variable) -> str:
    """A word or two for the row: the issue codes without their area, or whether the value wins."""
    if variable.issues:
        return ",".join(code.split(".", 1)[-1] for code in variable.issues)
    return "" if variable.wins else "overridden"


class EnvironmentPane(Container):  # Container's rules, not Vertical's: the hidden tabs' panes are Containers
    help = (
        "Environment",
        "What is wrong with the LiveKit settings first, then every LiveKit variable (one line "
        "each: its file, length, masked value; the selected one opens with where it sits and "
        "why it wins), then every place lkdebug looked. Edit a `.env` file and this tab reloads "
        "within a second; `r` reloads now.",
    )
    BINDINGS = [Binding("r", "app.reload_settings", "Reload", id="env-reload")]

    def compose(self) -> ComposeResult:
        # Each widget costs the first frame about 5 M instructions: the banner is mounted only
        # while there are no settings, and the section titles are the first lines of the
        # variables and of the sources.
        if _empty(self.app.settings):
            yield _banner()
        yield FindingsView(id="env-findings")
        with VerticalScroll(id="env-evidence", classes="evidence") as evidence:
            # The rows pass the keys on to it at their ends: one stop less on Tab.
            evidence.can_focus = False
            # The sources are drawn after the variables, by the same widget.
            yield RowList(id="env-variables", title="Variables", after_title="Sources")

    def focus_first(self) -> None:
        """The conclusion (its keys go on into the evidence), else the variables."""
        findings = self.query_one(FindingsView)
        (findings if findings.findings else self.query_one(RowList)).focus()

    def on_mount(self) -> None:
        self._watched: dict[str, tuple[int, int] | None] = {}
        self.watch(self.app, "settings", self._show)
        # Not called now as well: the settings watch just drew the tab, before the first frame.
        self.watch(self.app, "reveal", lambda: self._show(self.app.settings), init=False)
        # Polling a handful of stat() calls a second is cheaper and more portable than a watcher.
        self.set_interval(1.0, self._poll_files, name="env-watch")

    def _show(self, settings: Settings | None) -> None:
        settings = settings or Settings()
        reveal = self.app.reveal
        empty, banners = _empty(settings), self.query("#env-banner")
        if empty and not banners:
            self.mount(_banner(), before=0)
        elif not empty:
            banners.remove()

        sources = Text()
        for source in settings.sources:
            if not (source.loaded or source.error):
                continue
            if sources:
                sources.append("\n")
            mark = STATUS[CheckStatus.PASS if source.loaded else CheckStatus.FAIL]
            sources.append(f"{mark.symbol} ", style=mark.style)
            sources.append(f"{source.kind:<14}", style="dim")
            sources.append(visible(display_path(source.path)))
            if source.error:
                sources.append(f"  {visible(source.error)}", style="bold red")
        # Places looked at and not found: one wrapped line per folder.
        by_folder: dict[str, list[str]] = {}
        for source in settings.sources:
            if not source.loaded and not source.error:
                folder, name = os.path.split(display_path(source.path))
                by_folder.setdefault(folder, []).append(name)
        for folder, names in by_folder.items():
            if sources:
                sources.append("\n")
            sources.append(visible(f"· not found in {folder or '.'}{os.sep}: " + ", ".join(names)), style="dim")
        variables = self.query_one(RowList)
        variables.set_rows(variable_rows(settings, reveal), after=sources or Text("none", style="dim"))
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
