"""What the readers of LiveKit settings share: the scan they fill, and a file read into text or a finding.

Each reader (core/dotenv_sources.py, core/server_config.py, core/lk_sources.py) adds to one `Scan`: the
sources it looked at, every occurrence of a LiveKit variable (`Found`, before precedence), its findings
and the key/secret pairs it saw. Every file is read by core/settings_files.py: never a FIFO or a device,
never more than 1 MiB. Nothing here touches the network or writes a file.
"""

from __future__ import annotations

from pathlib import Path

from lkdebug.core.model import Finding, KnownKey, Severity, Source, Variable
from lkdebug.core.records import dataclass, field
from lkdebug.core.settings_files import SETTINGS_LIMIT, Skipped, read_settings_file, size_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any


@dataclass
class Found:
    """One occurrence before precedence is applied: rank 0 is the strongest."""

    var: Variable
    rank: tuple[int, int]
    kind: str
    applies: bool = True
    skipped_because: str = ""



@dataclass
class Scan:
    sources: list[Source] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    known: list[KnownKey] = field(default_factory=list)


def settings_finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code=code, severity=severity, area="env", title=title, detail=detail, fix=fix)



def unreadable_finding(path: Path, label: str, error: OSError) -> Finding:
    return settings_finding(
        "env.unreadable", Severity.ERROR, f"Cannot read {label}",
        f"{path}: {error.strerror or error}.", f"Make {label} a readable file (check its permissions).",
    )



def skipped_finding(path: Path, label: str, reason: Skipped) -> Finding:
    return settings_finding(
        "env.file_skipped", Severity.WARNING, f"lkdebug skipped {label}",
        f"{path} {reason}. lkdebug reads only regular files of up to {size_text(SETTINGS_LIMIT)}, so whatever "
        f"{label} sets is not shown here.",
        "Point the setting at a regular file. If a secret manager provides it as a pipe, copy what it holds "
        "into a regular file (mode 600) for lkdebug, or export the variables into the environment.",
    )



def read_text(path: Path, label: str, findings: list[Finding]) -> str | None:
    try:
        return read_settings_file(path).data.decode("utf-8-sig", errors="replace")
    except Skipped as reason:
        findings.append(skipped_finding(path, label, reason))
    except OSError as error:
        findings.append(unreadable_finding(path, label, error))
    return None



def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a folder we may not search, a name too long
        return False


# --- YAML ---------------------------------------------------------------------------------------


def _yaml_load(text: str) -> Any:
    """YAML with every scalar kept as a string, as Go decodes `keys` into map[string]string."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - BaseLoader builds only str/list/dict



def parse_yaml(text: str, label: str, findings: list[Finding], server_error: str | None = None) -> Any:
    import yaml

    try:
        return _yaml_load(text)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        findings.append(settings_finding(
            "env.config_invalid", Severity.ERROR, f"{label} is not valid YAML",
            f"{label}{at}: {problem}." + (f" livekit-server refuses it: `{server_error}`." if server_error else ""),
            f"Fix the YAML in {label} (indent with spaces; `key: secret` needs the space after the colon).",
        ))
        return None


def package_json(project_dir: Path) -> dict | None:
    """The project's package.json as an object, or None (none, unreadable, not JSON, not an object)."""
    import json

    try:
        package = json.loads(read_settings_file(project_dir / "package.json").data)
    except (OSError, Skipped, ValueError, RecursionError):
        return None
    return package if isinstance(package, dict) else None


# A project's own code, read to see which dotenv files it loads by itself (a Python agent's load_dotenv() in
# core/sources.py, a Node server's dotenv in core/node_dotenv.py): a bounded look, never a walk.
MAX_SOURCES, MAX_SOURCE_BYTES = 60, 256 * 1024


def source_head(path: Path) -> str:
    """The first MAX_SOURCE_BYTES of a source file as text (undecodable bytes replaced); raises OSError."""
    with path.open("rb") as handle:
        return handle.read(MAX_SOURCE_BYTES).decode("utf-8", errors="replace")


def call_arguments(code: str, start: int) -> str:
    """The text between a call's parentheses, from `start` (just after the opening one): brackets balanced,
    strings skipped over, at most 400 characters."""
    depth, quote = 1, None
    for at in range(start, min(len(code), start + 400)):
        char = code[at]
        if quote:
            quote = None if char == quote and code[at - 1] != "\\" else quote
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return code[start:at]
    return code[start:start + 400]
