"""Plain-text and JSON renderers shared by the headless commands (the TUI renders the same models)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from lkdebug.core.model import Finding, Severity, sort_findings

_SYMBOL = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i", Severity.OK: "✓"}
_COLOUR = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.OK: "32"}


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def bold(text: str, colour: bool) -> str:
    return paint(text, "1", colour)


def finding_lines(finding: Finding, colour: bool = False) -> list[str]:
    head = paint(f"{_SYMBOL[finding.severity]} {finding.severity.value:<7}", _COLOUR[finding.severity], colour)
    lines = [f"{head} {bold(finding.title, colour)}  [{finding.code}]"]
    for line in finding.detail.splitlines():
        lines.append(f"          {line}")
    if finding.fix:
        fix_lines = finding.fix.splitlines() or [""]
        lines.append(f"          {paint('fix:', '1', colour)} {fix_lines[0]}")
        lines.extend(f"               {line}" for line in fix_lines[1:])
    return lines


def findings_text(findings: list[Finding], colour: bool = False) -> str:
    """Findings ordered by severity, the most likely root cause first within each; a finding that
    follows from another (`because`) is folded under it, without the fix its cause already gives."""
    if not findings:
        return "No findings."
    codes = {f.code for f in findings if f.because is None}
    effects: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.because in codes:
            effects.setdefault(finding.because, []).append(finding)
    out: list[str] = []
    for finding in sort_findings([f for f in findings if f.because not in codes]):
        out.extend(finding_lines(finding, colour))
        for effect in effects.pop(finding.code, []):
            out.append(f"          ↳ {effect.title}  [{effect.code}]")
            out.extend(f"            {line}" for line in effect.detail.splitlines())
    return "\n".join(out)


def summary_line(findings: list[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    return (
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info, {counts[Severity.OK]} ok"
    )


def dump_json(data: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    json.dump(data, stream, indent=2, ensure_ascii=False, default=str)
    stream.write("\n")
