"""Where LiveKit settings come from, with provenance: the process, dotenv files, livekit.yaml, lk's projects.

Every occurrence of every LiveKit variable is kept, so `lkdebug env` can show which value wins and why.
The readers are core/dotenv_sources.py (the process and dotenv files), core/server_config.py
(livekit.yaml, LIVEKIT_CONFIG, LIVEKIT_KEYS, key_file) and core/lk_sources.py (lk's projects and
livekit.toml); which value wins is core/precedence.py's. `load_settings` ties them together, with the
--api-secret-file reader.

Nothing here touches the network, imports livekit, or writes a file. It runs on the TUI's first frame.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lkdebug.core import envlint, host, lazyre, lk_config, settings_files
from lkdebug.core.dotenv_sources import DOTENV_NAMES, scan_env
from lkdebug.core.lk_sources import scan_lk
from lkdebug.core.model import Finding, KnownKey, Setting, Settings, Severity, Source, Variable
from lkdebug.core.precedence import KEY_NAMES, SECRET_NAMES, URL_NAMES, decide_mode, framework_of, pick, resolve
from lkdebug.core.records import replace
from lkdebug.core.server_config import SYSTEM_CONFIGS, key_from_server, scan_server, server_findings
from lkdebug.core.settings_files import Skipped
from lkdebug.core.settings_scan import MAX_SOURCES, Scan, call_arguments, is_file, settings_finding, source_head


def read_secret_file(path: Path) -> str:
    """--api-secret-file: a file, a pipe (`<(pass show livekit)`) or /dev/stdin, capped and bounded in time.

    Raises Skipped or OSError. A pipe can be read only once: callers that load settings again keep the text.
    """
    text = settings_files.read_secret_file(path).decode("utf-8-sig", errors="replace")
    # A file ends with a newline by convention (and `echo` adds one); other whitespace is the user's and gets linted.
    return text[:-1] if text.endswith("\n") else text



def _secret_file(path: Path, text: str | None, scan: Scan) -> Setting | None:
    label = f"--api-secret-file {path}"
    if text is None:
        try:
            text = read_secret_file(path)
        except (Skipped, OSError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            scan.findings.append(settings_finding("env.unreadable", Severity.ERROR, f"Cannot read {label}", f"{path}: {reason}.",
                                          "Give a readable file or pipe that holds only the secret."))
    scan.sources.append(Source("secret-file", str(path), text is not None))
    return None if text is None else Setting("LIVEKIT_API_SECRET", text, label)



_PYTHON_MARKERS = ("pyproject.toml", "requirements.txt", "setup.py", "agent.py", "main.py")
# Where an agent's entry point sits (agent-starter-python: src/agent.py); a bounded look, never a walk.
_PYTHON_SOURCES = ("*.py", "src/*.py", "src/*/*.py", "agent/*.py", "app/*.py")
_LOAD_DOTENV = lazyre.compile(r"\bload_dotenv\s*\(")
_STRING = lazyre.compile(r"""[rRbBuU]?(['"])(.*?)\1""")


def _python_dotenv_files(project_dir: Path) -> tuple[str, ...] | None:
    """The dotenv files a Python agent here loads, as its load_dotenv() calls name them (a bare call and
    find_dotenv() read `.env`); `.env` when no call says; () when a call names its file some other way
    (a variable), so lkdebug cannot tell; None when this is not a Python project."""
    sources = []
    for pattern in _PYTHON_SOURCES:
        try:
            sources += sorted(p for p in project_dir.glob(pattern) if is_file(p))
        except (OSError, ValueError):
            continue
    named: list[str] = []
    unknown = False
    for path in sources[:MAX_SOURCES]:
        try:
            code = source_head(path)
        except OSError:
            continue
        for call in _LOAD_DOTENV.finditer(code):
            args = call_arguments(code, call.end())
            files = [Path(m.group(2)).name for m in _STRING.finditer(args) if ".env" in Path(m.group(2)).name]
            if files and "{" not in files[0]:  # an f-string's name is only known when it runs
                named.append(files[0])
            elif not files and (not args.strip() or re.fullmatch(r"\s*find_dotenv\(\s*\)\s*(,.*)?", args, re.S)
                                or "=" in args.split(",")[0]):
                named.append(".env")  # no path (keyword options only): python-dotenv's default, .env
            else:
                unknown = True
    if unknown:
        return ()
    if named:
        return tuple(dict.fromkeys(named))
    return (".env",) if any(is_file(project_dir / n) for n in _PYTHON_MARKERS) else None


# Where a monorepo keeps its apps; a bounded look (two levels, a few patterns), never a walk.
_NESTED = ("*/.env*", "apps/*/.env*", "packages/*/.env*", "services/*/.env*")


def _nested_projects(project_dir: Path) -> list[str]:
    """The folders below that hold a dotenv file with LiveKit settings (not .env.example), at most five."""
    folders: list[str] = []
    for pattern in _NESTED:
        try:
            paths = sorted(project_dir.glob(pattern))[:40]
        except (OSError, ValueError):
            continue
        for path in paths:
            folder = path.parent.relative_to(project_dir).as_posix()
            if path.name in DOTENV_NAMES and folder not in folders and is_file(path) and _mentions_livekit(path):
                folders.append(folder)
    return folders[:5]


def _mentions_livekit(path: Path) -> bool:
    try:
        return b"LIVEKIT" in settings_files.read_settings_file(path).data.upper()
    except (Skipped, OSError):
        return False


def _probing_twin(app: Setting, twin: Variable) -> Finding:
    service = envlint.url_host(app.value)
    return settings_finding(
        "env.url_service_name", Severity.INFO, f"{app.name} names the compose service {service}: probing {twin.name}",
        f"{app.name} = {app.value.strip()} ({app.source}) is how the app's container reaches livekit-server inside the "
        f"compose network; this machine is outside it. {twin.name} = {twin.value.strip()} ({envlint.where(twin)}) is "
        "how the browser reaches the same server on this machine's published port, so lkdebug probes that.",
        f"To probe {app.value.strip()} itself, run lkdebug inside the app's container (`docker compose exec`).",
    )


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
    lint: bool = True,
) -> Settings:
    """Discover every LiveKit setting, decide which value wins, and lint the result.

    Never raises for anything in the user's files: a broken file becomes a finding. `now` is the
    clock the tokens stored in variables are judged with (default: this machine's). `api_secret_text` is
    the content of `api_secret_file` when the caller read it already (`read_secret_file`). `lint` False
    stops after discovery: the values, sources and key pairs, with only the findings of reading them (for
    `token decode`, which reads the keys and never shows the settings' findings).
    """
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    project_dir = Path(project_dir)
    mode, mode_reason = decide_mode(environ, project_dir)

    scan = Scan()
    framework = framework_of(project_dir)
    scan_env(scan, project_dir, env_files, environ, mode, framework)
    variables = resolve(scan.found, mode, framework)
    winners = {v.name: v for v in variables if v.wins}
    server = scan_server(scan, project_dir, config, system_configs, winners)
    lk = scan_lk(scan, project_dir, home, environ)

    # Every key with every secret, whichever files they sit in: a key in .env and its secret in
    # .env.local is a pair (what the app reads), and so is a stale secret exported in the shell.
    key_vars = [v for v in variables if v.name == "LIVEKIT_API_KEY" and v.value]
    for secret_var in (v for v in variables if v.name == "LIVEKIT_API_SECRET" and v.value):
        scan.known += [KnownKey(k.value, secret_var.value, secret_var.source) for k in key_vars]

    settings = Settings(sources=scan.sources, server_keys=server.keys if server else None,
                        server_port=server.port if server else None, mode=mode, mode_reason=mode_reason)
    settings.url = Setting("--url", url, "--url") if url else pick(winners, URL_NAMES, "url")
    twin = envlint.published_twin(variables)
    if twin is not None and settings.url is not None and not url:
        container = host.in_container() if container is None else container
        if not container:
            # The app's compose service name resolves only inside the compose network; from here the
            # browser's URL reaches the same server, so that is the one probed.
            scan.findings.append(_probing_twin(settings.url, twin))
            settings.url = Setting(twin.name, twin.value, twin.source)
    settings.api_key = Setting("--api-key", api_key, "--api-key") if api_key else pick(winners, KEY_NAMES, "api_key")
    settings.api_secret = (_secret_file(api_secret_file, api_secret_text, scan) if api_secret_file
                           else pick(winners, SECRET_NAMES, "api_secret"))
    settings.lk = lk
    project = lk.project if lk.step in ("livekit.toml", "default_project") else None
    # An lk project is used whole (URL, key and secret), and only when the app has neither key nor secret.
    if project and settings.api_key is None and settings.api_secret is None and project.api_key and project.api_secret:
        settings.api_key = Setting("api_key", project.api_key, project.origin)
        settings.api_secret = Setting("api_secret", project.api_secret, project.origin)
        if settings.url is None and project.url:
            settings.url = Setting("url", project.url, project.origin)
    if settings.api_secret is None and server is not None and server.keys:
        scan.findings += key_from_server(settings, server.keys, next(
            (s.path for s in scan.sources if s.kind == "server-config" and s.loaded), "the server config"))
    if settings.api_key and settings.api_secret:
        scan.known.append(KnownKey(settings.api_key.value, settings.api_secret.value, "the resolved settings"))
    settings.known_keys = list(dict.fromkeys(k for k in scan.known if k.api_key and k.secret))
    if not lint:
        settings.variables, settings.findings = variables, list(dict.fromkeys(scan.findings))
        return settings

    from lkdebug.core.node_dotenv import node_dotenv_files  # a lint finding's evidence: discovery needs none

    container = host.in_container() if container is None else container
    findings = list(scan.findings)
    linted = []
    for var in variables:
        # A published port maps onto livekit.yaml's port: the browser's port need not equal it.
        own = envlint.lint_variable(var, container=container, server_port=None if var is twin else settings.server_port)
        if not var.wins:
            # A value nobody reads is worth knowing about, not worth failing for; a note about it (localhost
            # inside a container) says nothing.
            own = [replace(f, severity=Severity.INFO, title=f"{f.title} (not used: {var.note.split(':')[0]})")
                   for f in own if f.severity is not Severity.INFO]
        findings += own
        linted.append(replace(var, issues=tuple(dict.fromkeys(f.code for f in own))))
    settings.variables = linted
    for name, setting in (("api_key", settings.api_key), ("api_secret", settings.api_secret), ("url", settings.url)):
        if setting is not None and setting.source not in {v.source for v in variables if v.name == setting.name}:
            # Values from flags, a secret file or lk are linted too, under the name they stand for.
            stand_in = Variable(f"LIVEKIT_{name.upper()}", setting.value, setting.source)
            findings += envlint.lint_variable(stand_in, container=container, server_port=settings.server_port)
    findings += server_findings(server)
    findings += lk_config.findings(lk, settings, environ)
    findings += envlint.lint_settings(settings, looked_in=[s.path for s in scan.sources],
                                      python_dotenv=_python_dotenv_files(project_dir),
                                      node_dotenv=node_dotenv_files(project_dir, environ),
                                      nested=() if variables or settings.server_keys else _nested_projects(project_dir))
    findings += envlint.lint_token_variables(settings, time.time() if now is None else now)
    settings.findings = list(dict.fromkeys(findings))
    return settings
