"""The process environment and dotenv files: every occurrence of every LiveKit variable, with its line.

Files are parsed to python-dotenv's grammar (core/dotenv_parse.py: its `parse_stream`, which `dotenv_values()`
is built on, in linear time) and `${VAR}` is expanded as its `parse_variables` reads it:
`dotenv_values()` itself would expand from `os.environ` rather than the `environ` given here, and would log
unparsable lines to stderr instead of letting us report their line. Which occurrence wins is
core/precedence.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lkdebug.core import dotenv_parse, envlint
from lkdebug.core.model import Finding, Severity, Source, Variable
from lkdebug.core.precedence import NEXT, dotenv_order
from lkdebug.core.records import replace
from lkdebug.core.settings_files import Skipped, read_settings_file, size_text
from lkdebug.core.settings_scan import Found, Scan, settings_finding, skipped_finding, unreadable_finding

PROCESS = "process environment"
DOTENV_NAMES = (".env", ".env.local", ".env.development", ".env.development.local", ".env.production",
                ".env.production.local")


def _decode(raw: bytes, label: str, findings: list[Finding]) -> str | None:
    """File bytes to text as dotenv loaders see them; problems become findings, never exceptions."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        findings.append(settings_finding(
            "env.encoding", Severity.ERROR, f"{label} is saved as UTF-16",
            f"{label} starts with a UTF-16 byte-order mark (PowerShell's `>` and `Out-File` write this). "
            "python-dotenv and Node's dotenv read it as garbage, so none of its variables are set.",
            f"Save {label} as UTF-8 (e.g. `Set-Content -Encoding utf8`, or your editor's 'Save with encoding').",
        ))
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        findings.append(settings_finding(
            "env.bom", Severity.WARNING, f"{label} starts with a byte-order mark",
            f"{label} begins with the UTF-8 BOM (EF BB BF). python-dotenv keeps it in the first name, "
            "so its first variable is not set under the name you wrote. lkdebug shows it without the BOM.",
            f"Save {label} as UTF-8 without BOM.",
        ))
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        findings.append(settings_finding(
            "env.encoding", Severity.WARNING, f"{label} is not valid UTF-8",
            f"{label}: byte {raw[error.start]:#04x} at offset {error.start} is not UTF-8. python-dotenv stops "
            "with UnicodeDecodeError; Node replaces the byte. lkdebug read it the way Node does.",
            f"Save {label} as UTF-8.",
        ))
        return raw.decode("utf-8", errors="replace")



def read_dotenv(path: Path, label: str, environ: Mapping[str, str]) -> tuple[Source, list[Variable], list[Finding]]:
    """One dotenv file: its LiveKit variables (last assignment wins, with its line) and problems found."""
    findings: list[Finding] = []
    kind = "dotenv"
    try:
        raw = read_settings_file(path).data
    except FileNotFoundError:
        return Source(kind, str(path), False), [], []
    except Skipped as reason:
        return Source(kind, str(path), False, f"skipped: {reason}"), [], [skipped_finding(path, label, reason)]
    except OSError as error:
        findings.append(unreadable_finding(path, label, error))
        return Source(kind, str(path), False, error.strerror or str(error)), [], findings
    text = _decode(raw, label, findings)
    if text is None:
        return Source(kind, str(path), False, "saved as UTF-16"), [], findings
    expander = dotenv_parse.Expander(environ)
    values = expander.values
    lines: dict[str, list[int]] = {}
    bad_lines: list[int] = []
    for binding in dotenv_parse.parse_stream(text):
        line = binding.original.line
        if binding.error:
            bad_lines.append(line)
            continue
        if binding.key is None:
            continue
        if binding.value is None:
            if envlint.is_livekit_name(binding.key):
                findings.append(settings_finding(
                    "env.dotenv_syntax", Severity.WARNING, f"{label} line {line} names {binding.key} without '='",
                    "A name alone sets nothing (python-dotenv gives None, Node ignores the line).",
                    f"Write `{binding.key}=value` on line {line} of {label}.",
                ))
            continue
        values[binding.key] = expander.expand(binding.value, binding.key, line)
        lines.setdefault(binding.key, []).append(line)
    if bad_lines:
        findings.append(settings_finding(
            "env.dotenv_syntax", Severity.WARNING, f"{label} has lines dotenv cannot parse",
            f"python-dotenv could not parse the statement starting at line(s) {_first_lines(bad_lines)}; "
            "whatever they set is missing.",
            "Write each setting as NAME=value (quote values that contain spaces or #).",
        ))
    if expander.capped:
        longest = max(length for _, _, length in expander.capped)
        findings.append(settings_finding(
            "env.expansion_capped", Severity.WARNING, f"{label}: ${{...}} expansion too long, not expanded",
            f"Expanding {_first_lines([f'{name} (line {line})' for name, line, _ in expander.capped])} would give "
            f"up to {longest:,} characters. lkdebug expands a value to at most {size_text(dotenv_parse.VALUE_LIMIT)} "
            f"and a file to {size_text(dotenv_parse.FILE_EXPANSION_LIMIT)} in all, so it shows these as written. "
            "Each `B=${A}${A}` line doubles the length: a few hundred bytes of them reach gigabytes.",
            f"Remove the nested ${{...}} references from {label}; no LiveKit setting needs them.",
        ))
    variables = []
    for name, value in values.items():
        if not envlint.is_livekit_name(name):
            continue
        at = lines[name]
        if len(at) > 1:
            findings.append(settings_finding(
                "env.duplicate", Severity.INFO, f"{name} is set {len(at)} times in {label}",
                f"Lines {_first_lines(at)}; the last one (line {at[-1]}) wins.",
                f"Delete the extra {name} lines from {label}.",
            ))
        variables.append(Variable(name, value, label, line=at[-1]))
    return Source(kind, str(path), True), variables, findings



def _first_lines(items: Sequence[object], shown: int = 10) -> str:
    """'3, 7, 9' or '3, 7, 9 ... and 9,990 more': a hostile file must not make a finding megabytes long."""
    more = f" ... and {len(items) - shown:,} more" if len(items) > shown else ""
    return ", ".join(map(str, items[:shown])) + more



def scan_env(scan: Scan, project_dir: Path, env_files: Sequence[Path], environ: Mapping[str, str],
              mode: str, framework: str = NEXT) -> None:
    scan.sources.append(Source("process", PROCESS, True))
    for name, value in environ.items():
        if envlint.is_livekit_name(name):
            scan.found.append(Found(Variable(name, value, PROCESS), (0, 0), "process"))
    for i, path in enumerate(env_files):
        source, variables, findings = read_dotenv(path, str(path), environ)
        scan.sources.append(replace(source, kind="env-file"))
        scan.findings += findings
        scan.found += [Found(v, (1, -i), "env-file") for v in variables]
    order = dotenv_order(mode, framework)
    names = list(DOTENV_NAMES) + [n for n in order if n not in DOTENV_NAMES]
    for name in names:
        source, variables, findings = read_dotenv(project_dir / name, name, environ)
        scan.sources.append(source)
        scan.findings += findings
        applies = name in order
        skipped = "" if applies else (
            f"not read in {mode} mode ({name} is for another NODE_ENV)" if name != ".env.local"
            else "Next.js skips .env.local when NODE_ENV=test")
        scan.found += [Found(v, (2, order.index(name) if applies else 99), "dotenv", applies, skipped)
                       for v in variables]
