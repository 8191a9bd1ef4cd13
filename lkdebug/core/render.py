"""Plain-text and JSON renderers shared by the headless commands (the TUI renders the same models)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from lkdebug.core.marks import SEVERITY, ansi_for
from lkdebug.core.model import Finding, Severity, sort_findings
from lkdebug.core.redact import visible

# One line of rendered text: (text, role) spans; a role is a severity value or a marks.ROLE_* key.
Line = list[tuple[str, str]]


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal that can show it: never with NO_COLOR (https://no-color.org) or TERM=dumb."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def bold(text: str, colour: bool) -> str:
    return paint(text, "1", colour)


def folded(findings: list[Finding]) -> list[tuple[Finding, int]]:
    """(finding, depth) in the given order, a finding whose `because` names another one shown just
    under its cause (depth 1); one whose cause is absent stays where it was."""
    codes = {f.code for f in findings}
    followers: dict[str, list[Finding]] = {}
    roots = []
    for finding in findings:
        cause = getattr(finding, "because", None)
        if cause and cause in codes and cause != finding.code:
            followers.setdefault(cause, []).append(finding)
        else:
            roots.append(finding)
    out: list[tuple[Finding, int]] = []
    for finding in roots:
        out.append((finding, 0))
        out.extend((follower, 1) for follower in followers.pop(finding.code, []))
    return out


def finding_spans(finding: Finding, depth: int = 0, detail: bool = True) -> list[Line]:
    """What is wrong, the fix, then (unless `detail` is False) the evidence; outside text made
    visible, never obeyed."""
    mark = SEVERITY[finding.severity]
    lead = "  " * depth
    # Gaps end a span rather than start the next: SVG renderers drop a span's leading spaces.
    head: Line = [(lead + ("↳ " if depth else ""), ""), (f"{mark.symbol} {mark.label:<7} ", finding.severity.value),
                  (visible(finding.title) + "  ", "title"), (f"[{finding.code}]", "code")]
    lines = [head]
    indent = lead + ("    " if depth else "  ")
    if finding.fix:
        fix_lines = finding.fix.splitlines() or [""]
        lines.append([(indent, ""), ("fix: ", "fix"), (visible(fix_lines[0]), "")])
        lines.extend([(indent + "     " + visible(line), "")] for line in fix_lines[1:])
    if detail:
        lines.extend([(indent + visible(line), "detail")] for line in finding.detail.splitlines())
    return lines


def findings_layout(findings: list[Finding], detail: bool = True) -> list[Line]:
    """Every finding's lines, most severe first (the given order within a severity: root cause
    first), followers folded under their cause. The CLI paints these with ANSI, the TUI with Rich;
    the TUI shows the evidence (`detail`) after all the answers."""
    return [line for finding, depth in folded(sort_findings(findings))
            for line in finding_spans(finding, depth, detail)]


def findings_text(findings: list[Finding], colour: bool = False) -> str:
    if not findings:
        return "No findings."
    return "\n".join("".join(paint(text, ansi_for(role), colour) for text, role in line)
                     for line in findings_layout(findings))


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
