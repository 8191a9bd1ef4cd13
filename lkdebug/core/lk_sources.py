"""lk's own files: ~/.livekit/cli-config.yaml (its projects) and the project's livekit.toml.

What lk would use from them is decided in core/lk_config.py; here they are only read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lkdebug.core import lk_config
from lkdebug.core.model import KnownKey, Severity, Source
from lkdebug.core.settings_scan import Scan, parse_yaml, read_text, settings_finding

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any

LK_CONFIG = Path(".livekit") / "cli-config.yaml"


def scan_lk(scan: Scan, project_dir: Path, home: Path, environ: Mapping[str, str]) -> lk_config.LkChoice:
    """lk's projects and livekit.toml, and the project lk would use from here (core.lk_config)."""
    path = home / LK_CONFIG
    label = f"~/{LK_CONFIG.as_posix()}"
    if not os.path.exists(path):
        scan.sources.append(Source("lk-config", str(path), False))
        projects, default = [], None
    else:
        text = read_text(path, label, scan.findings)
        scan.sources.append(Source("lk-config", str(path), text is not None))
        data = parse_yaml(text, label, scan.findings) if text is not None else None
        projects, default = _lk_projects(data, label, scan)
        try:
            if path.stat().st_mode & 0o077:
                scan.findings.append(settings_finding(
                    "env.lk_config_mode", Severity.INFO, f"{label} is readable by other users",
                    f"It holds API secrets; lk itself warns `WARNING: config file {path} should have permissions 600`.",
                    f"chmod 600 {path}",
                ))
        except OSError:
            pass
    toml_path = project_dir / "livekit.toml"
    subdomain = None
    if os.path.exists(toml_path):
        subdomain = _toml_subdomain(toml_path, scan)
        scan.sources.append(Source("lk-config", str(toml_path), subdomain is not None))
    return lk_config.resolve(projects, default, environ, toml_found=toml_path.is_file(), toml_subdomain=subdomain)



def _lk_projects(data: Any, label: str, scan: Scan) -> tuple[list[lk_config.LkProject], str | None]:
    if data is None:
        return [], None
    if not isinstance(data, dict) or not isinstance(data.get("projects", []), list):
        scan.findings.append(settings_finding(
            "env.config_invalid", Severity.WARNING, f"{label} is not an lk CLI config",
            f"{label} should be a map with `projects:` (a list) and `default_project:`.",
            "Recreate it with `lk project add` (lkdebug never edits it).",
        ))
        return [], None
    projects = []
    for entry in data.get("projects") or []:
        if not isinstance(entry, dict):
            continue
        fields = {k: entry.get(k) if isinstance(entry.get(k), str) else "" for k in ("name", "url", "api_key", "api_secret")}
        project = lk_config.LkProject(**fields, origin=f"lk project {fields['name']!r} ({label})")
        projects.append(project)
        if project.api_key and project.api_secret:
            scan.known.append(KnownKey(project.api_key, project.api_secret, project.origin))
    default = data.get("default_project")
    return projects, default if isinstance(default, str) else None



def _toml_subdomain(path: Path, scan: Scan) -> str | None:
    import tomllib

    text = read_text(path, path.name, scan.findings)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        why = "nested too deeply to parse" if isinstance(error, RecursionError) else str(error)
        scan.findings.append(settings_finding(
            "env.config_invalid", Severity.WARNING, f"{path.name} is not valid TOML",
            f"{path}: {why}.", "Fix it, or remove it if you do not use `lk app`/`lk agent`.",
        ))
        return None
    project = data.get("project")
    # lk falls back to the legacy top-level `project_subdomain` when there is no [project] table.
    subdomain = project.get("subdomain") if isinstance(project, dict) else data.get("project_subdomain")
    return subdomain if isinstance(subdomain, str) and subdomain else None
