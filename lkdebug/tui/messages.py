"""Typed messages between the panes and the app (panes never query each other).

A pane posts one of these; it bubbles to the app, which updates its shared state (settings,
the token handed to another tab) and the panes that care watch that state.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lkdebug.core.model import CheckResult, Finding, Report, Settings


@dataclass
class FindingsChanged(Message):
    """A pane's findings changed: the app recounts errors and warnings on its tab label."""

    tab: str
    findings: list[Finding]


@dataclass
class SettingsLoaded(Message):
    """Settings were (re)discovered; `error` is a one-line reason when discovery itself failed."""

    settings: Settings | None
    error: str | None = None


@dataclass
class OpenInDecoder(Message):
    """Show this token in the Decoder tab."""

    token: str


@dataclass
class TestOnServer(Message):
    """Run the Connectivity probes with this token."""

    token: str


@dataclass
class TokenChanged(Message):
    """The token a pane currently holds (builder preview or decoder input), for the other tabs."""

    origin: str  # "builder" | "decoder"
    token: str | None
    lk_command: str | None = None  # the builder's equivalent `lk token create ...` line


@dataclass
class ProbeUpdated(Message):
    """One probe started (status RUNNING) or ended."""

    result: CheckResult


@dataclass
class ProbesFinished(Message):
    report: Report
