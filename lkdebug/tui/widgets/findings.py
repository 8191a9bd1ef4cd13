"""Findings as the person at the terminal reads them: what is wrong, the evidence, the fix."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lkdebug.core.model import Finding, Severity, sort_findings
from lkdebug.core.render import finding_lines

# Symbols carry the severity when colour is off (NO_COLOR); colour only repeats it.
SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "cyan",
    Severity.OK: "green",
}


def findings_text(findings: list[Finding], empty: str = "No findings.") -> Text:
    """The same lines `lkdebug check` prints (core.render), with the severity head coloured."""
    if not findings:
        return Text(empty, style="dim")
    text = Text()
    for finding in sort_findings(findings):
        lines = finding_lines(finding)
        head = Text(lines[0])
        head.stylize(SEVERITY_STYLE[finding.severity], 0, 9)
        head.stylize("bold", 10, 10 + len(finding.title))
        if text:
            text.append("\n")
        text.append_text(head)
        for line in lines[1:]:
            text.append("\n")
            text.append(line, style="bold" if line.lstrip().startswith("fix:") else "")
    return text


def counts(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings): what a tab label shows."""
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    return errors, warnings


class FindingsView(Static):
    """A pane's findings, worst first."""

    help = (
        "Findings",
        "What lkdebug noticed, worst first. Each finding says what is wrong, the evidence, "
        "and on the `fix:` line what to change. The code in brackets is stable (scripts match on it).",
    )

    def show(self, findings: list[Finding], empty: str = "No findings.") -> None:
        self.update(findings_text(findings, empty))
