"""Where LiveKit settings come from, with provenance: the process, dotenv files, livekit.yaml, lk's projects.

Every occurrence of every LiveKit variable is kept, so `lkdebug env` can show which value wins and why.
The precedence is what the tools people use actually do:

1. the process environment: Next.js, Vite, Node's dotenv and python-dotenv's load_dotenv() never
   override a variable that is already set;
2. `--env-file` files, a later one before an earlier one. They are read after the project's dotenv
   files and win over them, but not over the process environment (like `node --env-file`);
3. the project's dotenv files in Next.js order: `.env.$MODE.local` > `.env.local` > `.env.$MODE` > `.env`.

Within one file the last assignment wins (python-dotenv and Node's dotenv agree). Files are parsed with
python-dotenv's parser (`parse_stream`, which `dotenv_values()` is built on; core/dotenv_parse.py makes it
linear) and `${VAR}` is expanded with its own `parse_variables`: `dotenv_values()` itself would expand from
`os.environ` rather than the `environ` given here, and would log unparsable lines to stderr instead of
letting us report their line. Every file is read by core/settings_files.py: never a FIFO or a device, never
more than 1 MiB.

Nothing here touches the network, imports livekit, or writes a file. It runs on the TUI's first frame.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lkdebug.core import dotenv_parse, envlint, host, lk_config, redact, settings_files
from lkdebug.core.model import Finding, KnownKey, Setting, Settings, Severity, Source, Variable
from lkdebug.core.settings_files import SETTINGS_LIMIT, Skipped, read_settings_file, size_text

PROCESS = "process environment"
DOTENV_NAMES = (".env", ".env.local", ".env.development", ".env.development.local", ".env.production",
                ".env.production.local")
SYSTEM_CONFIGS = (Path("/etc/livekit.yaml"), Path("/opt/livekit/livekit.yaml"))
LK_CONFIG = Path(".livekit") / "cli-config.yaml"

WHY_PROCESS = ("the process environment beats dotenv files: Next.js, Vite, Node's dotenv and python-dotenv's "
               "load_dotenv() never override a variable that is already set")
WHY_ENV_FILE = ("--env-file files are read after the project's dotenv files and win over them "
                "(never over the process environment, as with `node --env-file`)")
WHY_LATER_ENV_FILE = "a later --env-file wins over an earlier one"

# Values the resolved settings are read from, best first. Client-prefixed twins come after these.
URL_NAMES = ("LIVEKIT_URL", "LIVEKIT_HOST", "LIVEKIT_WS_URL", "LIVEKIT_SERVER_URL")
KEY_NAMES = ("LIVEKIT_API_KEY",)
SECRET_NAMES = ("LIVEKIT_API_SECRET",)

_MODE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass
class _Found:
    """One occurrence before precedence is applied: rank 0 is the strongest."""

    var: Variable
    rank: tuple[int, int]
    kind: str
    applies: bool = True
    skipped_because: str = ""


@dataclass
class _Scan:
    sources: list[Source] = field(default_factory=list)
    found: list[_Found] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    known: list[KnownKey] = field(default_factory=list)


def _finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code=code, severity=severity, area="env", title=title, detail=detail, fix=fix)


# --- mode -----------------------------------------------------------------------------------------


def decide_mode(environ: Mapping[str, str], project_dir: Path) -> tuple[str, str]:
    """The MODE that picks `.env.$MODE` files, and why it was assumed."""
    node_env = (environ.get("NODE_ENV") or "").strip()
    if _MODE_NAME.match(node_env):
        return node_env, f"NODE_ENV={node_env} in the process environment"

    def present(mode: str) -> bool:
        return any(_is_file(project_dir / f".env.{mode}{s}") for s in ("", ".local"))

    if present("production") and not present("development"):
        return "production", ("NODE_ENV is not set and only .env.production* files exist, so production was "
                              "assumed (as `next start` / `vite build`); run with NODE_ENV=development to compare")
    return "development", ("NODE_ENV is not set, so development was assumed (as `next dev` / `vite`); "
                           "run with NODE_ENV=production to see what `next start` reads")


def _dotenv_order(mode: str) -> list[str]:
    """Next.js order, strongest first. Next.js skips .env.local in test mode so tests are reproducible."""
    order = [f".env.{mode}.local", ".env.local", f".env.{mode}", ".env"]
    return [n for n in order if not (mode == "test" and n == ".env.local")]


# --- dotenv files ---------------------------------------------------------------------------------


def _decode(raw: bytes, label: str, findings: list[Finding]) -> str | None:
    """File bytes to text as dotenv loaders see them; problems become findings, never exceptions."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        findings.append(_finding(
            "env.encoding", Severity.ERROR, f"{label} is saved as UTF-16",
            f"{label} starts with a UTF-16 byte-order mark (PowerShell's `>` and `Out-File` write this). "
            "python-dotenv and Node's dotenv read it as garbage, so none of its variables are set.",
            f"Save {label} as UTF-8 (e.g. `Set-Content -Encoding utf8`, or your editor's 'Save with encoding').",
        ))
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        findings.append(_finding(
            "env.bom", Severity.WARNING, f"{label} starts with a byte-order mark",
            f"{label} begins with the UTF-8 BOM (EF BB BF). python-dotenv keeps it in the first name, "
            "so its first variable is not set under the name you wrote. lkdebug shows it without the BOM.",
            f"Save {label} as UTF-8 without BOM.",
        ))
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        findings.append(_finding(
            "env.encoding", Severity.WARNING, f"{label} is not valid UTF-8",
            f"{label}: byte {raw[error.start]:#04x} at offset {error.start} is not UTF-8. python-dotenv stops "
            "with UnicodeDecodeError; Node replaces the byte. lkdebug read it the way Node does.",
            f"Save {label} as UTF-8.",
        ))
        return raw.decode("utf-8", errors="replace")


def _unreadable(path: Path, label: str, error: OSError) -> Finding:
    return _finding(
        "env.unreadable", Severity.ERROR, f"Cannot read {label}",
        f"{path}: {error.strerror or error}.", f"Make {label} a readable file (check its permissions).",
    )


def _skipped(path: Path, label: str, reason: Skipped) -> Finding:
    return _finding(
        "env.file_skipped", Severity.WARNING, f"lkdebug skipped {label}",
        f"{path} {reason}. lkdebug reads only regular files of up to {size_text(SETTINGS_LIMIT)}, so whatever "
        f"{label} sets is not shown here.",
        "Point the setting at a regular file. If a secret manager provides it as a pipe, copy what it holds "
        "into a regular file (mode 600) for lkdebug, or export the variables into the environment.",
    )


def read_dotenv(path: Path, label: str, environ: Mapping[str, str]) -> tuple[Source, list[Variable], list[Finding]]:
    """One dotenv file: its LiveKit variables (last assignment wins, with its line) and problems found."""
    findings: list[Finding] = []
    kind = "dotenv"
    try:
        raw = read_settings_file(path).data
    except FileNotFoundError:
        return Source(kind, str(path), False), [], []
    except Skipped as reason:
        return Source(kind, str(path), False, f"skipped: {reason}"), [], [_skipped(path, label, reason)]
    except OSError as error:
        findings.append(_unreadable(path, label, error))
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
                findings.append(_finding(
                    "env.dotenv_syntax", Severity.WARNING, f"{label} line {line} names {binding.key} without '='",
                    "A name alone sets nothing (python-dotenv gives None, Node ignores the line).",
                    f"Write `{binding.key}=value` on line {line} of {label}.",
                ))
            continue
        values[binding.key] = expander.expand(binding.value, binding.key, line)
        lines.setdefault(binding.key, []).append(line)
    if bad_lines:
        findings.append(_finding(
            "env.dotenv_syntax", Severity.WARNING, f"{label} has lines dotenv cannot parse",
            f"python-dotenv could not parse the statement starting at line(s) {_first_lines(bad_lines)}; "
            "whatever they set is missing.",
            "Write each setting as NAME=value (quote values that contain spaces or #).",
        ))
    if expander.capped:
        longest = max(length for _, _, length in expander.capped)
        findings.append(_finding(
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
            findings.append(_finding(
                "env.duplicate", Severity.INFO, f"{name} is set {len(at)} times in {label}",
                f"Lines {_first_lines(at)}; the last one (line {at[-1]}) wins.",
                f"Delete the extra {name} lines from {label}.",
            ))
        variables.append(Variable(name, value, label, line=at[-1]))
    return Source(kind, str(path), True), variables, findings


def _scan_env(scan: _Scan, project_dir: Path, env_files: Sequence[Path], environ: Mapping[str, str],
              mode: str) -> None:
    scan.sources.append(Source("process", PROCESS, True))
    for name, value in environ.items():
        if envlint.is_livekit_name(name):
            scan.found.append(_Found(Variable(name, value, PROCESS), (0, 0), "process"))
    for i, path in enumerate(env_files):
        source, variables, findings = read_dotenv(path, str(path), environ)
        scan.sources.append(replace(source, kind="env-file"))
        scan.findings += findings
        scan.found += [_Found(v, (1, -i), "env-file") for v in variables]
    order = _dotenv_order(mode)
    names = list(DOTENV_NAMES) + [n for n in order if n not in DOTENV_NAMES]
    for name in names:
        source, variables, findings = read_dotenv(project_dir / name, name, environ)
        scan.sources.append(source)
        scan.findings += findings
        applies = name in order
        skipped = "" if applies else (
            f"not read in {mode} mode ({name} is for another NODE_ENV)" if name != ".env.local"
            else "Next.js skips .env.local when NODE_ENV=test")
        scan.found += [_Found(v, (2, order.index(name) if applies else 99), "dotenv", applies, skipped)
                       for v in variables]


def _why(winner: _Found, loser: _Found, mode: str) -> str:
    if winner.kind == "process":
        return WHY_PROCESS
    if winner.kind == "env-file":
        return WHY_LATER_ENV_FILE if loser.kind == "env-file" else WHY_ENV_FILE
    return f"in {mode} mode Next.js reads {' > '.join(_dotenv_order(mode))}; the first file that sets a variable wins"


def _resolve(found: list[_Found], mode: str) -> list[Variable]:
    """Mark the winner of each name and say, on every occurrence, why it won or lost."""
    out: list[Variable] = []
    by_name: dict[str, list[_Found]] = {}
    for f in found:
        by_name.setdefault(f.var.name, []).append(f)
    for name in sorted(by_name, key=lambda n: (envlint.base_name(n) != n, n)):
        group = sorted(by_name[name], key=lambda f: f.rank)
        live = [f for f in group if f.applies]
        winner = live[0] if live else None
        for f in group:
            if not f.applies:
                out.append(replace(f.var, wins=False, note=f.skipped_because))
            elif f is winner:
                beaten = [g for g in live if g is not f]
                note = f"wins over {', '.join(g.var.source for g in beaten)}: {_why(f, beaten[0], mode)}" if beaten else ""
                out.append(replace(f.var, wins=True, note=note))
            else:
                out.append(replace(f.var, wins=False, note=f"overridden by {winner.var.source}: {_why(winner, f, mode)}"))
    return out


def _first_lines(items: Sequence[object], shown: int = 10) -> str:
    """'3, 7, 9' or '3, 7, 9 ... and 9,990 more': a hostile file must not make a finding megabytes long."""
    more = f" ... and {len(items) - shown:,} more" if len(items) > shown else ""
    return ", ".join(map(str, items[:shown])) + more


# --- livekit-server config ----------------------------------------------------------------------


def _yaml_load(text: str) -> Any:
    """YAML with every scalar kept as a string, as Go decodes `keys` into map[string]string."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - BaseLoader builds only str/list/dict


def _parse_yaml(text: str, label: str, findings: list[Finding], server_error: str | None = None) -> Any:
    import yaml

    try:
        return _yaml_load(text)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        findings.append(_finding(
            "env.config_invalid", Severity.ERROR, f"{label} is not valid YAML",
            f"{label}{at}: {problem}." + (f" livekit-server refuses it: `{server_error}`." if server_error else ""),
            f"Fix the YAML in {label} (indent with spaces; `key: secret` needs the space after the colon).",
        ))
        return None


def _key_map(data: Any, label: str, findings: list[Finding], server_error: str | None = None) -> dict[str, str] | None:
    """A `key: secret` map, or a finding saying why it is not one."""
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return dict(data)
    shape = "a plain string" if isinstance(data, str) else "a list" if isinstance(data, list) else (
        "empty" if data is None else "a map with nested values")
    findings.append(_finding(
        "env.config_invalid", Severity.ERROR, f"{label} is not a `key: secret` map",
        f"{label} is {shape}." + (f" livekit-server says: `{server_error}`." if server_error else "")
        + (" 'APIkey:secret' without a space after the colon is one string, not a map." if isinstance(data, str) and ":" in data else ""),
        'Write one `APIkey: secret` per line (a space after the colon), e.g. LIVEKIT_KEYS="APIkey: secret".',
    ))
    return None


def _read_text(path: Path, label: str, findings: list[Finding]) -> str | None:
    try:
        return read_settings_file(path).data.decode("utf-8-sig", errors="replace")
    except Skipped as reason:
        findings.append(_skipped(path, label, reason))
    except OSError as error:
        findings.append(_unreadable(path, label, error))
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a folder we may not search, a name too long
        return False


@dataclass
class _ServerConfig:
    keys: dict[str, str] | None = None
    port: int | None = None
    webhook_key: str | None = None
    webhook_urls: bool = False


def _server_config_from(data: Any, label: str, base_dir: Path, scan: _Scan) -> _ServerConfig:
    conf = _ServerConfig()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        scan.findings.append(_finding(
            "env.config_invalid", Severity.ERROR, f"{label} is not a livekit-server config",
            f"{label} is YAML, but not a map of settings (port:, keys:, rtc:...).",
            "Start from livekit-server's config-sample.yaml.",
        ))
        return conf
    keys: dict[str, str] = {}
    if data.get("keys") not in (None, ""):
        keys = _key_map(data["keys"], f"keys: in {label}", scan.findings) or {}
        scan.known += [KnownKey(k, s, f"server config {label}") for k, s in keys.items()]
    key_file = data.get("key_file")
    if isinstance(key_file, str) and key_file:
        keys.update(_key_file(Path(key_file) if Path(key_file).is_absolute() else base_dir / key_file, scan))
    conf.keys = keys
    port = data.get("port")
    conf.port = int(port) if isinstance(port, str) and port.isdigit() else None
    webhook = data.get("webhook")
    if isinstance(webhook, dict):
        conf.webhook_key = webhook.get("api_key") if isinstance(webhook.get("api_key"), str) else None
        conf.webhook_urls = bool(webhook.get("urls"))
    return conf


def _key_file(path: Path, scan: _Scan) -> dict[str, str]:
    label = str(path)
    text = _read_text(path, label, scan.findings)
    scan.sources.append(Source("server-config", label, text is not None, None if text is not None else "unreadable"))
    if text is None:
        return {}
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode & stat.S_IRWXO:
        scan.findings.append(_finding(
            "env.key_file_mode", Severity.WARNING, f"The key file {label} is readable by other users",
            f"Mode {stat.S_IMODE(mode):o}. livekit-server refuses to start: `key file others permissions must be set to 0`.",
            f"chmod 600 {label}",
        ))
    keys = _key_map(_parse_yaml(text, label, scan.findings), label, scan.findings) or {}
    scan.known += [KnownKey(k, s, f"server key file {label}") for k, s in keys.items()]
    return keys


def _scan_server(scan: _Scan, project_dir: Path, config: Path | None, system_configs: Sequence[Path],
                 winners: Mapping[str, Variable]) -> _ServerConfig | None:
    """The server's key map as livekit-server would build it: config (or LIVEKIT_CONFIG), LIVEKIT_KEYS, key_file."""
    candidates = [config] if config is not None else [project_dir / "livekit.yaml", *system_configs]
    conf: _ServerConfig | None = None
    body = winners.get("LIVEKIT_CONFIG")
    for path in candidates:
        if conf is not None or body is not None:
            if _is_file(path):
                why = "LIVEKIT_CONFIG is set and wins" if body is not None else "an earlier config was used"
                scan.sources.append(Source("server-config", str(path), False, f"found, not used: {why}"))
            else:
                scan.sources.append(Source("server-config", str(path), False))
            continue
        if not os.path.exists(path):  # not is_file(): a FIFO or a folder there is reported, not passed over
            scan.sources.append(Source("server-config", str(path), False))
            continue
        text = _read_text(path, str(path), scan.findings)
        scan.sources.append(Source("server-config", str(path), text is not None, None if text is not None else "unreadable"))
        if text is not None:
            conf = _server_config_from(_parse_yaml(text, str(path), scan.findings), str(path), path.parent, scan)
    if body is not None:
        label = f"LIVEKIT_CONFIG ({envlint.where(body)})"
        scan.sources.append(Source("server-config", label, True))
        conf = _server_config_from(_parse_yaml(body.value, label, scan.findings), label, project_dir, scan)
    keys_var = winners.get("LIVEKIT_KEYS")
    if keys_var is not None:
        label = f"LIVEKIT_KEYS ({envlint.where(keys_var)})"
        scan.sources.append(Source("server-config", label, True))
        data = _parse_yaml(keys_var.value, label, scan.findings, envlint.SERVER_KEYS_PARSE_ERROR)
        keys = _key_map(data, label, scan.findings, envlint.SERVER_KEYS_PARSE_ERROR) if data is not None else None
        if keys is not None:
            scan.known += [KnownKey(k, s, f"server {label}") for k, s in keys.items()]
            # livekit-server: --keys / LIVEKIT_KEYS replaces the config's keys; a key_file would still add to them.
            conf = conf or _ServerConfig()
            conf.keys = keys
    return conf


# --- lk CLI ---------------------------------------------------------------------------------------


def _scan_lk(scan: _Scan, project_dir: Path, home: Path, environ: Mapping[str, str]) -> lk_config.LkChoice:
    """lk's projects and livekit.toml, and the project lk would use from here (core.lk_config)."""
    path = home / LK_CONFIG
    label = f"~/{LK_CONFIG.as_posix()}"
    if not os.path.exists(path):
        scan.sources.append(Source("lk-config", str(path), False))
        projects, default = [], None
    else:
        text = _read_text(path, label, scan.findings)
        scan.sources.append(Source("lk-config", str(path), text is not None))
        data = _parse_yaml(text, label, scan.findings) if text is not None else None
        projects, default = _lk_projects(data, label, scan)
        try:
            if path.stat().st_mode & 0o077:
                scan.findings.append(_finding(
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


def _lk_projects(data: Any, label: str, scan: _Scan) -> tuple[list[lk_config.LkProject], str | None]:
    if data is None:
        return [], None
    if not isinstance(data, dict) or not isinstance(data.get("projects", []), list):
        scan.findings.append(_finding(
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


def _toml_subdomain(path: Path, scan: _Scan) -> str | None:
    import tomllib

    text = _read_text(path, path.name, scan.findings)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        why = "nested too deeply to parse" if isinstance(error, RecursionError) else str(error)
        scan.findings.append(_finding(
            "env.config_invalid", Severity.WARNING, f"{path.name} is not valid TOML",
            f"{path}: {why}.", "Fix it, or remove it if you do not use `lk app`/`lk agent`.",
        ))
        return None
    project = data.get("project")
    # lk falls back to the legacy top-level `project_subdomain` when there is no [project] table.
    subdomain = project.get("subdomain") if isinstance(project, dict) else data.get("project_subdomain")
    return subdomain if isinstance(subdomain, str) and subdomain else None


# --- putting it together --------------------------------------------------------------------------


def _pick(winners: Mapping[str, Variable], names: Sequence[str], role: str) -> Setting | None:
    """The first canonical name that is set, then any client-prefixed twin of it."""
    for name in names:
        if name in winners:
            return Setting(name, winners[name].value, winners[name].source)
    for name, var in sorted(winners.items()):
        if envlint.client_prefix(name) and envlint.base_name(name) in names and envlint.role_of(name) == role:
            return Setting(name, var.value, var.source)
    return None


def read_secret_file(path: Path) -> str:
    """--api-secret-file: a file, a pipe (`<(pass show livekit)`) or /dev/stdin, capped and bounded in time.

    Raises Skipped or OSError. A pipe can be read only once: callers that load settings again keep the text.
    """
    text = settings_files.read_secret_file(path).decode("utf-8-sig", errors="replace")
    # A file ends with a newline by convention (and `echo` adds one); other whitespace is the user's and gets linted.
    return text[:-1] if text.endswith("\n") else text


def _secret_file(path: Path, text: str | None, scan: _Scan) -> Setting | None:
    label = f"--api-secret-file {path}"
    if text is None:
        try:
            text = read_secret_file(path)
        except (Skipped, OSError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            scan.findings.append(_finding("env.unreadable", Severity.ERROR, f"Cannot read {label}", f"{path}: {reason}.",
                                          "Give a readable file or pipe that holds only the secret."))
    scan.sources.append(Source("secret-file", str(path), text is not None))
    return None if text is None else Setting("LIVEKIT_API_SECRET", text, label)


def _looks_like_python(project_dir: Path) -> bool:
    return any(_is_file(project_dir / n) for n in ("pyproject.toml", "requirements.txt", "setup.py", "agent.py",
                                                     "main.py"))


def load_settings(
    project_dir: Path,
    *,
    env_files: Sequence[Path] = (),
    config: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    api_secret_file: Path | None = None,
    api_secret_text: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    container: bool | None = None,
    system_configs: Sequence[Path] = SYSTEM_CONFIGS,
    now: float | None = None,
) -> Settings:
    """Discover every LiveKit setting, decide which value wins, and lint the result.

    Never raises for anything in the user's files: a broken file becomes a finding. `now` is the
    clock the tokens stored in variables are judged with (default: this machine's). `api_secret_text` is
    the content of `api_secret_file` when the caller read it already (`read_secret_file`).
    """
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    container = host.in_container() if container is None else container
    project_dir = Path(project_dir)
    mode, mode_reason = decide_mode(environ, project_dir)

    scan = _Scan()
    _scan_env(scan, project_dir, env_files, environ, mode)
    variables = _resolve(scan.found, mode)
    winners = {v.name: v for v in variables if v.wins}
    server = _scan_server(scan, project_dir, config, system_configs, winners)
    lk = _scan_lk(scan, project_dir, home, environ)

    # Every key with every secret, whichever files they sit in: a key in .env and its secret in
    # .env.local is a pair (what the app reads), and so is a stale secret exported in the shell.
    key_vars = [v for v in variables if v.name == "LIVEKIT_API_KEY" and v.value]
    for secret_var in (v for v in variables if v.name == "LIVEKIT_API_SECRET" and v.value):
        scan.known += [KnownKey(k.value, secret_var.value, secret_var.source) for k in key_vars]

    settings = Settings(sources=scan.sources, server_keys=server.keys if server else None, mode=mode,
                        mode_reason=mode_reason)
    settings.url = Setting("--url", url, "--url") if url else _pick(winners, URL_NAMES, "url")
    settings.api_key = Setting("--api-key", api_key, "--api-key") if api_key else _pick(winners, KEY_NAMES, "api_key")
    settings.api_secret = (_secret_file(api_secret_file, api_secret_text, scan) if api_secret_file
                           else _pick(winners, SECRET_NAMES, "api_secret"))
    settings.lk = lk
    project = lk.project if lk.step in ("livekit.toml", "default_project") else None
    # An lk project is used whole (URL, key and secret), and only when the app has neither key nor secret.
    if project and settings.api_key is None and settings.api_secret is None and project.api_key and project.api_secret:
        settings.api_key = Setting("api_key", project.api_key, project.origin)
        settings.api_secret = Setting("api_secret", project.api_secret, project.origin)
        if settings.url is None and project.url:
            settings.url = Setting("url", project.url, project.origin)
    if settings.api_secret is None and server is not None and server.keys:
        scan.findings += _key_from_server(settings, server.keys, next(
            (s.path for s in scan.sources if s.kind == "server-config" and s.loaded), "the server config"))
    if settings.api_key and settings.api_secret:
        scan.known.append(KnownKey(settings.api_key.value, settings.api_secret.value, "the resolved settings"))
    settings.known_keys = list(dict.fromkeys(k for k in scan.known if k.api_key and k.secret))

    findings = list(scan.findings)
    linted = []
    for var in variables:
        own = envlint.lint_variable(var, container=container)
        if not var.wins:
            # A value nobody reads is worth knowing about, not worth failing for.
            own = [replace(f, severity=Severity.INFO, title=f"{f.title} (not used: {var.note.split(':')[0]})")
                   if f.severity is not Severity.INFO else f for f in own]
        findings += own
        linted.append(replace(var, issues=tuple(dict.fromkeys(f.code for f in own))))
    settings.variables = linted
    for name, setting in (("api_key", settings.api_key), ("api_secret", settings.api_secret), ("url", settings.url)):
        if setting is not None and setting.source not in {v.source for v in variables if v.name == setting.name}:
            # Values from flags, a secret file or lk are linted too, under the name they stand for.
            stand_in = Variable(f"LIVEKIT_{name.upper()}", setting.value, setting.source)
            findings += envlint.lint_variable(stand_in, container=container)
    findings += _server_findings(settings, server)
    findings += lk_config.findings(lk, settings, environ)
    findings += envlint.lint_settings(settings, looked_in=[s.path for s in scan.sources],
                                      python_project=_looks_like_python(project_dir))
    findings += envlint.lint_token_variables(settings, time.time() if now is None else now)
    settings.findings = list(dict.fromkeys(findings))
    return settings


def _key_from_server(settings: Settings, keys: Mapping[str, str], origin: str) -> list[Finding]:
    """On a LiveKit host the server config is the only place the secret lives: use it, and say so.

    One key: lkdebug takes it. Several: `--api-key` (or LIVEKIT_API_KEY) picks one.
    """
    if settings.api_key is not None:
        if settings.api_key.value not in keys:
            return []
        name = settings.api_key.value
    elif len(keys) == 1:
        name = next(iter(keys))
        settings.api_key = Setting("LIVEKIT_API_KEY", name, origin)
    else:
        return [_finding(
            "env.server_keys_choose", Severity.INFO, f"{origin} holds {len(keys)} keys; lkdebug uses none of them",
            "No LIVEKIT_API_KEY/LIVEKIT_API_SECRET is set, and the server config has several keys: "
            + ", ".join(redact.mask_key(k) for k in keys) + ".",
            "Pass --api-key KEY to pick the one lkdebug mints test tokens with.")]
    settings.api_secret = Setting("LIVEKIT_API_SECRET", keys[name], origin)
    return [_finding(
        "env.key_from_server_config", Severity.INFO, f"Using the key {redact.mask_key(name)} and its secret from {origin}",
        "No LIVEKIT_API_SECRET is set anywhere else; the server config holds the secret for this key, so lkdebug "
        "mints its test tokens with it.", None)]


def _server_findings(settings: Settings, server: _ServerConfig | None) -> list[Finding]:
    if server is None:
        return []
    out = []
    if server.webhook_urls and (server.webhook_key or "") not in (server.keys or {}):
        out.append(_finding(
            "env.webhook_key", Severity.ERROR, "The server's webhook api_key is not one of its keys",
            f"webhook.api_key is {redact.mask_key(server.webhook_key or '')!r}; it must name a key from `keys:`. "
            f"livekit-server refuses to start: `{envlint.SERVER_WEBHOOK_KEY}`.",
            "Set webhook.api_key to one of the key names under `keys:`.",
        ))
    host_name = envlint.url_host(settings.url.value) if settings.url else None
    if host_name and host.is_loopback_host(host_name) and server.port:
        try:
            port = urlsplit(settings.url.value.strip()).port
        except ValueError:
            port = None
        if port and port != server.port:
            out.append(_finding(
                "env.url_port", Severity.WARNING, f"The URL uses port {port}, the server config says {server.port}",
                f"{settings.url.name} ({settings.url.source}) is {settings.url.value.strip()!r}; the local server "
                f"config listens on port {server.port}.",
                f"Use port {server.port} in {settings.url.name}.",
            ))
    return out


# --- JSON -----------------------------------------------------------------------------------------


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
