"""Plain-text and JSON renderers shared by the headless commands (the TUI renders the same models)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from lkdebug.core import redact
from lkdebug.core.model import Finding, Settings, Severity, sort_findings

_SYMBOL = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i", Severity.OK: "✓"}
_COLOUR = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.OK: "32"}


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def bold(text: str, colour: bool) -> str:
    return paint(text, "1", colour)


def finding_lines(finding: Finding, colour: bool = False, secrets: Sequence[str] = ()) -> list[str]:
    """A finding as terminal lines. Its text quotes outside words (server bodies and headers, values,
    paths), so every line is scrubbed and its control characters made visible."""
    def shown(text: str) -> list[str]:
        return [redact.shown(line, secrets) for line in text.splitlines()]

    head = paint(f"{_SYMBOL[finding.severity]} {finding.severity.value:<7}", _COLOUR[finding.severity], colour)
    title = redact.shown(finding.title, secrets)
    lines = [f"{head} {bold(title, colour)}  [{redact.visible(finding.code)}]"]
    for line in shown(finding.detail):
        lines.append(f"          {line}")
    if finding.fix:
        fix_lines = shown(finding.fix) or [""]
        lines.append(f"          {paint('fix:', '1', colour)} {fix_lines[0]}")
        lines.extend(f"               {line}" for line in fix_lines[1:])
    return lines


def findings_text(findings: list[Finding], colour: bool = False, secrets: Sequence[str] = ()) -> str:
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
        out.extend(finding_lines(finding, colour, secrets))
        for effect in effects.pop(finding.code, []):
            out.append(f"          ↳ {redact.shown(effect.title, secrets)}  [{redact.visible(effect.code)}]")
            out.extend(f"            {redact.shown(line, secrets)}" for line in effect.detail.splitlines())
    return "\n".join(out)


def summary_line(findings: list[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    return (
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info, {counts[Severity.OK]} ok"
    )


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
