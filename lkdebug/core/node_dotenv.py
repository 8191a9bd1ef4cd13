"""Which dotenv files a Node server in the project loads itself, read from its code (the Node twin of the
Python agent's load_dotenv() look in core/sources.py).

`import 'dotenv/config'`, `require('dotenv').config()` and `node -r dotenv/config` read `.env` only, in
the folder the server starts in, while Next.js and Vite read `.env.local` and friends: a token server
beside a Vite app, or a Node backend whose values sit in `.env.local`, runs without them. A `path:`
option names the files it reads (`path: ['.env.local', '.env']`: the first that sets a name wins).

A bounded look, never a walk: package.json's `main` and the files its scripts run, and the source files
in the project's root, `src/`, `server/`, `src/server/` and `agent/`; at most 60 files, the first 256 KiB
of each. Config files (`next.config.js`, `vite.config.ts`) run inside the framework, after its own
loading, so they are not a server's: they are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lkdebug.core import lazyre
from lkdebug.core.settings_scan import MAX_SOURCES, call_arguments, is_file, package_json, source_head

_FOLDERS = ("", "src", "server", "src/server", "agent")
_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")
_NOT_A_SERVER = (".config.", ".d.ts", ".test.", ".spec.")

_PRELOAD = lazyre.compile(r"""(?:\bimport\s*|\brequire\s*\(\s*)(['"])dotenv/config\1""")
_SCRIPT_PRELOAD = lazyre.compile(r"(?:-r|--require|--import)[=\s]+dotenv/config\b")
_SCRIPT_PATH = lazyre.compile(r"\bdotenv_config_path=(\S+)")
_SCRIPT_FILE = lazyre.compile(r"(?:^|\s)((?:\./)?[\w@./-]+\.[cm]?[jt]s)(?=\s|$|;|&)")
# `require('dotenv').config(` and `<module>.config(` for the names the module is bound to.
_REQUIRE_CONFIG = lazyre.compile(r"""\brequire\s*\(\s*(['"])dotenv\1\s*\)\s*\.\s*config\s*\(""")
_MODULE_NAME = lazyre.compile(r"""(?:\bimport\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from|"""
                              r"""\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\s*\()\s*(['"])dotenv\3""")
_NAMED_IMPORT = lazyre.compile(r"""(?:\bimport\s*\{([^}]*)\}\s*from|\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\s*\()"""
                               r"""\s*(['"])dotenv\3""")
_CONFIG_NAME = lazyre.compile(r"\bconfig\b(?:\s*(?:as|:)\s*([A-Za-z_$][\w$]*))?")
_PATH_KEY = lazyre.compile(r"""(?:^|[{,\s])(['"]?)path\1\s*:""")
_STRING = lazyre.compile(r"""(['"`])(.*?)\1""")
_LINE_COMMENT = lazyre.compile(r"(?m)^\s*//.*$")


def node_dotenv_files(project_dir: Path, environ: Mapping[str, str]) -> tuple[str, ...] | None:
    """The dotenv files a Node server here loads by itself, first first; () when one of its calls names a
    file lkdebug cannot read (a variable, a template string); None when nothing here loads dotenv itself
    (no package.json, or a Next.js or Vite app, which leaves the loading to the framework)."""
    package = package_json(project_dir)
    if package is None:
        return None
    # dotenv/config reads DOTENV_CONFIG_PATH when it is set (the server's environment is this one, as a guess).
    preloaded = Path(environ.get("DOTENV_CONFIG_PATH") or ".env").name
    named: list[str] = []
    unknown = False
    for script in _scripts(package):
        if _SCRIPT_PRELOAD.search(script):
            given = _SCRIPT_PATH.search(script)
            named.append(Path(given.group(1).strip("'\"")).name if given else preloaded)
    for code in _sources(project_dir, package):
        for call in _calls(code):
            files = _files_of(code, call, preloaded)
            if files is None:
                unknown = True
            else:
                named += files
    if unknown:
        return ()
    return tuple(dict.fromkeys(named)) or None


def _scripts(package: dict) -> list[str]:
    """package.json's scripts (the command lines), whatever else its `scripts` holds."""
    scripts = package.get("scripts")
    return [script for script in scripts.values() if isinstance(script, str)] if isinstance(scripts, dict) else []


def _sources(project_dir: Path, package: dict) -> list[str]:
    """The text of the server's likely entry files: package.json's, then the usual folders'."""
    entries = [package.get("main")] if isinstance(package.get("main"), str) else []
    for script in _scripts(package):
        entries += [m.group(1) for m in _SCRIPT_FILE.finditer(script)]
    paths = [project_dir / entry for entry in entries]
    for folder in _FOLDERS:
        try:
            paths += sorted(p for p in (project_dir / folder).iterdir() if p.suffix in _SUFFIXES)
        except (OSError, ValueError):
            continue
    root = project_dir.resolve()
    texts = []
    for path in dict.fromkeys(paths):
        if len(texts) == MAX_SOURCES:
            break
        if any(mark in path.name for mark in _NOT_A_SERVER) or not is_file(path):
            continue
        try:
            if not path.resolve().is_relative_to(root):  # a script's ../other-package/server.js is not this project
                continue
            # A commented-out load (`// require('dotenv').config()`) loads nothing.
            texts.append(_LINE_COMMENT.sub("", source_head(path)))
        except (OSError, ValueError):
            continue
    return texts


def _calls(code: str) -> list[int]:
    """Where each dotenv load in `code` starts: -1 for `dotenv/config` (no arguments), else the offset just
    after the opening parenthesis of a config() call."""
    starts = [-1 for _ in _PRELOAD.finditer(code)]
    starts += [m.end() for m in _REQUIRE_CONFIG.finditer(code)]
    names = {m.group(1) or m.group(2) for m in _MODULE_NAME.finditer(code)}
    for name in names:
        starts += [m.end() for m in re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*\.\s*config\s*\(", code)]
    for imported in _NAMED_IMPORT.finditer(code):
        for bound in _CONFIG_NAME.finditer(imported.group(1) or imported.group(2)):
            name = bound.group(1) or "config"
            starts += [m.end() for m in re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*\(", code) if m.start() > imported.end()]
    return sorted(set(starts))


def _files_of(code: str, start: int, preloaded: str) -> list[str] | None:
    """The files one load reads: `.env` with no `path:` option, the names a `path:` gives, None when the
    call's arguments name them some way lkdebug cannot read."""
    if start < 0:
        return [preloaded]
    args = call_arguments(code, start).strip()
    if not args:
        return [".env"]
    if not args.startswith("{"):
        return None  # config(options): a variable
    key = _PATH_KEY.search(args)
    if key is None:
        # Other options only (override, debug, encoding): dotenv's default; a `{ path }` shorthand is a variable.
        return None if re.search(r"\bpath\b", args) else [".env"]
    value = args[key.end():]
    strings = list(_STRING.finditer(value))
    if not strings:
        return None
    if not value.lstrip().startswith("["):
        strings = strings[:1]
    names = []
    for string in strings:
        if string.group(1) == "`" and "${" in string.group(2):
            return None  # a template: its name is only known when it runs
        if ".env" in Path(string.group(2)).name:
            names.append(Path(string.group(2)).name)
    return names or None
