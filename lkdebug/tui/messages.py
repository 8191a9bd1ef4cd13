"""Typed messages between the panes and the app (panes never query each other).

A pane posts one of these; it bubbles to the app, which updates its shared state (settings,
the token handed to another tab) and the panes that care watch that state.

Plain classes, not dataclasses: this module loads before the first frame, and `@dataclass`
writes and compiles each class's methods at import (about 9 M instructions for these seven).
"""

from __future__ import annotations

from textual.message import Message

from lkdebug.core.model import CheckResult, Finding, Report, Settings


class FindingsChanged(Message):
    """A pane's findings changed: the app recounts errors and warnings on its tab label."""

    def __init__(self, tab: str, findings: list[Finding]) -> None:
        super().__init__()
        self.tab = tab
        self.findings = findings


class SettingsLoaded(Message):
    """Settings were (re)discovered; `error` is a one-line reason when discovery itself failed."""

    def __init__(self, settings: Settings | None, error: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.error = error


class OpenInDecoder(Message):
    """Show this token in the Decoder tab."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token


class TestOnServer(Message):
    """Run the Connectivity probes with this token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token


class TokenChanged(Message):
    """The token a pane currently holds (builder preview or decoder input), for the other tabs."""

    def __init__(self, origin: str, token: str | None, lk_command: str | None = None) -> None:
        super().__init__()
        self.origin = origin  # "builder" | "decoder"
        self.token = token
        self.lk_command = lk_command  # the builder's equivalent `lk token create ...` line


class ProbeUpdated(Message):
    """One probe started (status RUNNING) or ended."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__()
        self.result = result


class ProbesFinished(Message):
    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report
