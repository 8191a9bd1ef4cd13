"""Plain-text and JSON renderers shared by the headless commands (the TUI renders the same models)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from lkdebug.core import redact
from lkdebug.core.model import Finding, Settings, Severity, sort_findings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any, TextIO

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


def finding_spans(finding: Finding, depth: int = 0, detail: bool = True, secrets: Sequence[str] = ()) -> list[Line]:
    """What is wrong, the fix, then (unless `detail` is False) the evidence. A finding quotes outside
    words (server bodies and headers, values, paths): every line is scrubbed of secrets and
    signatures and its control characters made visible, never obeyed. A follower (depth 1) shows no
    fix: its cause's fix is the one to apply."""
    from lkdebug.core.marks import SEVERITY  # text only: the JSON renderers need no symbols or colours

    mark = SEVERITY[finding.severity]

    def shown(text: str) -> str:
        return redact.shown(text, secrets)

    lead = "  " * depth
    # Gaps end a span rather than start the next: SVG renderers drop a span's leading spaces.
    head: Line = [(lead + ("↳ " if depth else ""), ""), (f"{mark.symbol} {mark.label:<7} ", finding.severity.value),
                  (shown(finding.title) + "  ", "title"), (f"[{redact.visible(finding.code)}]", "code")]
    lines = [head]
    indent = lead + ("    " if depth else "  ")
    if finding.fix and not depth:
        fix_lines = finding.fix.splitlines() or [""]
        lines.append([(indent, ""), ("fix: ", "fix"), (shown(fix_lines[0]), "")])
        lines.extend([(indent + "     " + shown(line), "")] for line in fix_lines[1:])
    if detail:
        lines.extend([(indent + shown(line), "detail")] for line in finding.detail.splitlines())
    return lines


def findings_layout(findings: list[Finding], detail: bool = True, secrets: Sequence[str] = ()) -> list[Line]:
    """Every finding's lines, most severe first (the given order within a severity: root cause
    first), followers folded under their cause. The CLI paints these with ANSI, the TUI with Rich;
    the TUI shows the evidence (`detail`) after all the answers."""
    return [line for finding, depth in folded(sort_findings(findings))
            for line in finding_spans(finding, depth, detail, secrets)]


def findings_text(findings: list[Finding], colour: bool = False, secrets: Sequence[str] = ()) -> str:
    if not findings:
        return "No findings."
    from lkdebug.core.marks import ansi_for

    return "\n".join("".join(paint(text, ansi_for(role), colour) for text, role in line)
                     for line in findings_layout(findings, secrets=secrets))


def cause_counts(findings: list[Finding]) -> tuple[dict[Severity, int], dict[Severity, int]]:
    """(causes, effects) per severity. A finding folded under a cause shown with it (`because`, as
    `folded` shows it) is part of that cause: counted as one of its effects, under the cause's severity."""
    causes = {f.code: f for f in reversed(findings) if not f.because}
    roots = {s: 0 for s in Severity}
    effects = {s: 0 for s in Severity}
    for finding in findings:
        cause = causes.get(finding.because or "")
        if cause is not None and cause.code != finding.code:
            effects[cause.severity] += 1
        else:
            roots[finding.severity] += 1
    return roots, effects


def summary_line(findings: list[Finding]) -> str:
    """`1 error(s) (+2 effects), 0 warning(s), 0 info, 0 ok`: causes counted, each with what follows from it."""
    roots, effects = cause_counts(findings)

    def part(severity: Severity, label: str) -> str:
        more = effects[severity]
        return f"{roots[severity]} {label}" + (f" (+{more} effect{'s' if more > 1 else ''})" if more else "")
    return ", ".join(part(s, label) for s, label in ((Severity.ERROR, "error(s)"), (Severity.WARNING, "warning(s)"),
                                                     (Severity.INFO, "info"), (Severity.OK, "ok")))


def json_text(data: Any, indent: int | None = 2) -> str:
    """JSON that keeps readable Unicode but escapes every control character (`\\u009b`), still valid JSON."""
    return redact.visible_json(json.dumps(data, indent=indent, ensure_ascii=False, default=str))


def dump_json(data: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(json_text(data) + "\n")


def settings_to_dict(settings: Settings, reveal: bool = False) -> dict[str, Any]:
    """The DESIGN `env` shape; secrets masked unless reveal."""
    secrets = settings.secrets()
    secret = settings.api_secret
    return {
        "mode": {"name": settings.mode, "reason": settings.mode_reason},
        "sources": [s.to_dict() for s in settings.sources],
        "variables": [
            {"name": v.name, "source": v.source, "line": v.line, "length": len(v.value), "value": redact.display_value(v.name, v.value, secrets, reveal),
             "wins": v.wins, "note": v.note, "issues": list(v.issues)}
            for v in settings.variables
        ],
        "settings": {
            "url": settings.url.value if settings.url else None,
            "api_key": redact.mask_key(settings.api_key.value, reveal) if settings.api_key else None,
            "api_secret": None if secret is None else {
                "length": len(secret.value), "fingerprint": redact.fingerprint(secret.value),
                **({"value": secret.value} if reveal else {}),
            },
            "from": {name: (s.source if s else None) for name, s in
                     (("url", settings.url), ("api_key", settings.api_key), ("api_secret", settings.api_secret))},
        },
        "server_keys": None if settings.server_keys is None else [
            {"api_key": redact.mask_key(k, reveal), "length": len(s), "fingerprint": redact.fingerprint(s)}
            for k, s in settings.server_keys.items()
        ],
        "lk": settings.lk.to_dict(reveal) if settings.lk else None,
        "findings": [f.to_dict() for f in settings.findings],
    }
