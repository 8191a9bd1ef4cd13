"""Findings as the person at the terminal reads them: what is wrong, the fix, the evidence.

The lines are the CLI's (core.render.findings_layout, causes folding their followers); this module
only maps each span's role to a Rich style, so no style depends on a character offset.
"""

from __future__ import annotations

import sys

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from lkdebug.core.marks import SEVERITY, style_for
from lkdebug.core.model import Finding, Severity, sort_findings
from lkdebug.core.redact import visible
from lkdebug.core.render import cause_counts, findings_layout


def ordered(findings: list[Finding]) -> list[Finding]:
    """The core's root-cause order (diagnose.order_findings), each finding once.

    diagnose imports the probes' modules, which load after the first frame; until then the
    Environment tab's findings, all of one area, keep the core's order within each severity,
    and the app re-renders once diagnose is loaded.
    """
    diagnose = sys.modules.get("lkdebug.core.diagnose")
    if diagnose is not None:
        return diagnose.order_findings(findings)
    return sort_findings(list({(f.code, f.title): f for f in findings}.values()))


def finding_lines(findings: list[Finding], detail: bool = True) -> list[Text]:
    """Findings already in the order to show (see `ordered`): one Rich line per layout line."""
    lines = []
    for line in findings_layout(findings, detail):
        text = Text()
        for part, role in line:
            text.append(part, style=style_for(role) or ("dim" if role == "detail" else ""))
        lines.append(text)
    return lines


def rich_findings(findings: list[Finding], empty: str = "No findings.") -> Text:
    """The same lines as one Text (for a preview that measures its height as text)."""
    return Text("\n").join(finding_lines(findings)) if findings else Text(empty, style="dim")


def _hanging(lines: list[Text]) -> Group:
    """Each line indented as a block, so a long fix that wraps keeps its indent."""
    out = []
    for text in lines:
        indent = len(text.plain) - len(text.plain.lstrip(" "))
        out.append(Padding(text[indent:], (0, 0, 0, indent)) if indent else text)
    return Group(*out)


def headline(finding: Finding | None, where: str = "") -> Text:
    """One line for the top of every tab: the worst root cause found anywhere, and which tab has it."""
    if finding is None or finding.severity not in (Severity.ERROR, Severity.WARNING):
        return Text("No problem found so far (4 Connectivity, then Enter, runs the network probes)", style="dim")
    mark = SEVERITY[finding.severity]
    # Gaps end a span rather than start the next: SVG renderers drop a span's leading spaces.
    text = Text(f"{mark.symbol} ", style=mark.style)
    text.append(visible(finding.title) + " ", style="bold")
    if where:
        text.append(f"({where}) ", style="dim")
    if finding.fix:
        text.append("→ " + visible(finding.fix.splitlines()[0]))
    return text


def counts(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings): what a tab label shows, causes only (a folded effect is part of its cause)."""
    causes, _ = cause_counts(findings)
    return causes[Severity.ERROR], causes[Severity.WARNING]


class FindingsView(VerticalScroll):
    """A tab's conclusion, at its top: the root causes in the core's order, each with its fix,
    and what follows from them folded underneath. Scrolls on its own when it is long."""

    DEFAULT_CSS = """
    FindingsView { height: auto; max-height: 60%; }
    FindingsView > Static { width: 1fr; }
    """
    help = (
        "Findings",
        "What lkdebug concluded, root cause first. Each finding says what is wrong, on the `fix:` "
        "line what to change, then the evidence; a finding that follows from another is folded "
        "under it (↳). The code in brackets is stable (scripts match on it). Scroll with the "
        "arrows, PgUp/PgDn, Home/End or the mouse wheel.",
    )

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="findings")
        self._shown: str | None = None
        self.findings: list[Finding] = []

    def _evidence(self) -> Widget | None:
        """The tab's evidence region (the next `.evidence` sibling), where the keys go on past the end."""
        siblings = list(self.parent.children) if self.parent else []
        return next((w for w in siblings[siblings.index(self) + 1:] if w.has_class("evidence")), None)

    def _past_edge(self, down: bool) -> Widget | None:
        """The evidence, when this region is at its end (or start) and the keys should go on there,
        so one place of focus reaches everything on the tab."""
        at_edge = self.scroll_y >= self.max_scroll_y if down else self.scroll_y <= 0
        return self._evidence() if at_edge else None

    def _scroll(self, down: bool, action: str) -> None:
        evidence = self._past_edge(down)
        getattr(evidence if evidence is not None else super(), action)()

    def action_scroll_down(self) -> None:
        self._scroll(True, "action_scroll_down")

    def action_scroll_up(self) -> None:
        self._scroll(False, "action_scroll_up")

    def action_page_down(self) -> None:
        self._scroll(True, "action_page_down")

    def action_page_up(self) -> None:
        self._scroll(False, "action_page_up")

    def compose(self):
        yield Static(Text(""), id=f"{self.id}-text")

    def show(self, findings: list[Finding], empty: str = "No findings.") -> None:
        self.findings = ordered(findings)
        # Panes re-render on every keystroke and tick; unchanged findings cost no layout pass.
        key = repr([(f.code, f.severity, f.title, f.detail, f.fix) for f in self.findings]) + empty
        if key != self._shown:
            self._shown = key
            self.query_one(Static).update(self._answer_then_evidence() if self.findings else Text(empty, style="dim"))

    def _answer_then_evidence(self) -> Group:
        """Every finding's title and fix first, so several root causes fit the first lines; the
        evidence for each follows, under its title."""
        parts = [_hanging(finding_lines(self.findings, detail=False))]
        for finding in self.findings:
            if finding.detail:
                parts.append(Text(f"\n{SEVERITY[finding.severity].symbol} {visible(finding.title)}", style="bold dim"))
                parts.append(Padding(Text(visible(finding.detail, keep_newlines=True), style="dim"), (0, 0, 0, 2)))
        return Group(*parts)

    def show_text(self, text: Text) -> None:
        """A state rather than findings (probes running, nothing pasted yet)."""
        self.findings = []
        if text.markup != self._shown:
            self._shown = text.markup
            self.query_one(Static).update(text)
