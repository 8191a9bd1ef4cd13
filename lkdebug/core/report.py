"""The redacted support report (`lkdebug report`, the TUI's "export report"): one document, two formats.

Everything in it is masked: variables through `redact.display_value`, the token without its signature,
server bodies scrubbed of echoed tokens and of every secret lkdebug knows. The document is built as
a dict once; Markdown and JSON are two renderings of the same dict, so they cannot disagree.
"""

from __future__ import annotations

import platform
from typing import Any

from lkdebug import __version__
from lkdebug.core import marks, redact
from lkdebug.core.diagnose import order_findings
from lkdebug.core.model import Finding, Report, Settings, Severity
from lkdebug.core.render import json_text, settings_to_dict, summary_line
from lkdebug.core.times import iso_utc


def _platform() -> dict[str, Any]:
    from lkdebug.core.host import in_container, in_wsl

    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "container": in_container(),
        "wsl": in_wsl(),
    }


def build_report(
    settings: Settings,
    *,
    decoded: Any | None = None,
    diagnosis: Report | None = None,
    now: float,
) -> dict[str, Any]:
    """The report as data. `decoded` is a token.Decoded, `diagnosis` the last probe run, if any."""
    findings = list(settings.findings)
    token = None
    if decoded is not None:
        token = decoded.to_dict(reveal=False)
        findings += decoded.findings
    checks = None
    if diagnosis is not None:
        checks = diagnosis.to_dict()
        findings += diagnosis.findings
    doc = {
        "schema": "lkdebug/report/1",
        "lkdebug": {"version": __version__},
        "generated_at": iso_utc(now),
        "platform": _platform(),
        "environment": settings_to_dict(settings, reveal=False),
        "token": token,
        "connectivity": checks,
        "findings": [f.to_dict() for f in order_findings(findings)],
    }
    # Belt and braces: every string in the document loses known secrets, signatures and URL passwords.
    return redact.scrub_all(doc, settings.secrets())


def to_json(doc: dict[str, Any]) -> str:
    return json_text(doc) + "\n"


def _cell(value: Any) -> str:
    """A Markdown table cell: no pipes or newlines may break the row, no control character reaches a terminal."""
    text = "" if value is None else redact.visible(str(value), keep_newlines=True)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>") or " "


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


_ICON = {severity.value: mark.emoji for severity, mark in marks.SEVERITY.items()}
_STATUS_ICON = {status.value: mark.emoji for status, mark in marks.STATUS.items()}


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def to_markdown(doc: dict[str, Any]) -> str:
    """GitHub-flavoured Markdown: tables up front, the long parts folded in <details>."""
    findings = [Finding(**{**f, "severity": Severity(f["severity"])}) for f in doc["findings"]]
    env = doc["environment"]
    plat = doc["platform"]
    out = [
        "## lkdebug report",
        "",
        f"lkdebug {doc['lkdebug']['version']} · {doc['generated_at']} · "
        f"{plat['system']} {plat['release']} ({plat['machine']}), Python {plat['python']}"
        + (" · in a container" if plat["container"] else "") + (" · WSL" if plat["wsl"] else ""),
        "",
        "> Secrets are masked (length and SHA-256 fingerprint only) and token signatures removed.",
        "",
        f"**{summary_line(findings)}**",
        "",
        "### Findings",
        "",
    ]
    if doc["findings"]:
        out += _table(
            ["", "finding", "code", "fix"],
            [[_ICON[f["severity"]] if not f.get("because") else "↳",
              f"**{f['title']}**" + (f"<br>{f['detail']}" if f["detail"] else "")
              + (f"<br>(follows from `{f['because']}` above)" if f.get("because") else ""),
              f"`{f['code']}`", None if f.get("because") else f["fix"]]
             for f in doc["findings"]],
        )
    else:
        out += ["No findings.", ""]

    settings = env["settings"]
    secret = settings.get("api_secret") or {}
    out += ["### Settings", ""]
    out += _table(
        ["setting", "value"],
        [
            ["URL", settings.get("url") or "(not found)"],
            ["API key", settings.get("api_key") or "(not found)"],
            ["API secret", f"{secret.get('length')} chars, sha256 {secret.get('fingerprint')}" if secret else "(not found)"],
        ],
    )
    out += ["### Sources", ""]
    out += _table(["kind", "path", "found"], [[s["kind"], f"`{s['path']}`", "yes" if s["loaded"] else "no"] for s in env["sources"]])
    if env["variables"]:
        out += ["### Variables", ""]
        out += _table(
            ["name", "source", "length", "value (masked)", "issues"],
            [[f"`{v['name']}`" if v.get("wins", True) else f"~~`{v['name']}`~~ (overridden)",
              v["source"], v["length"], f"`{v['value']}`", ", ".join(v.get("issues") or [])]
             for v in env["variables"]],
        )

    token = doc.get("token")
    if token:
        verdict = token.get("verdict") or {}
        out += ["### Token", ""]
        out += _table(
            ["", ""],
            [
                ["signature", f"{(token.get('signature') or {}).get('status')} (key {(token.get('signature') or {}).get('key') or '-'})"],
                ["server verdict (v1.13)", f"{verdict.get('status')} `{verdict.get('message')}`" if verdict else "-"],
                *[[name, t.get("iso", "") + " (" + t.get("relative", "") + ")"] for name, t in (token.get("times") or {}).items()],
            ],
        )
        out += _details(
            "Header and claims (signature removed)",
            ["```json", json_text({"header": token.get("header"), "claims": token.get("claims")}), "```"],
        )

    checks = doc.get("connectivity")
    if checks:
        out += [f"### Connectivity: `{redact.visible(str((checks.get('target') or {}).get('url')))}`", ""]
        out += _table(
            ["", "probe", "time", "detail"],
            [[_STATUS_ICON.get(c["status"], c["status"]), c["name"],
              "" if c["duration_ms"] is None else f"{c['duration_ms']:.0f} ms", c["detail"]] for c in checks["checks"]],
        )
    out += _details("The whole report as JSON", ["```json", to_json(doc).rstrip(), "```"])
    return "\n".join(out)

