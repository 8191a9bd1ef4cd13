"""Import hygiene (STYLE §1-2): the core never sees the UI, and headless commands pay only for what they use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lkdebug.core import dotenv_parse, envlint, lazyre, paste, precedence, redact, server_rules

ROOT = Path(__file__).resolve().parent.parent

CHECK_CORE = r"""
import importlib, pkgutil, sys
import lkdebug.core
names = [m.name for m in pkgutil.iter_modules(lkdebug.core.__path__, "lkdebug.core.")]
assert len(names) >= 3, names
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
assert not leaked, leaked
print(len(names))
"""


def test_core_never_imports_textual_or_rich():
    result = subprocess.run([sys.executable, "-c", CHECK_CORE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_cli_module_imports_no_heavy_library():
    code = (
        "import sys, lkdebug.cli; lkdebug.cli.build_parser();"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('textual','livekit','aiohttp','websockets','yaml','jwt')];"
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_import_contracts_hold_statically():
    """pyproject.toml's import-linter contracts: core below the UI, the TUI below the commands, no cycle
    through lkdebug.cli. Static, so it also covers imports inside functions that no test runs."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


# Modules of lkdebug's own that discovery does not reach: select (settings_files reads a pipe with it),
# node_dotenv and url (the lint's evidence and URL model), marks (the text renderers' symbols and colours).
NOT_FOR_DISCOVERY = ("select", "lkdebug.core.node_dotenv", "lkdebug.core.url", "lkdebug.core.marks")

# What each headless command must not load: the probes' machinery (asyncio, sockets, TLS, threads, logging),
# libraries it has no use for, and the standard library's costly helpers the core does without
# (dataclasses via lkdebug.core.records, typing behind TYPE_CHECKING, python-dotenv via core/dotenv_parse.py,
# hashlib's OpenSSL, hmac and base64 via core/codec.py, datetime via times.iso_utc, shutil with its
# compressors, which argparse imports for the terminal's width unless cli._Parser gives it, and contextlib).
NEVER_HEADLESS = ("asyncio", "aiohttp", "ssl", "socket", "concurrent", "logging", "dotenv", "yaml", "jwt", "textual",
                  "rich", "livekit", "websockets", "dataclasses", "inspect", "typing", "hashlib", "_hashlib", "hmac",
                  "base64", "struct", "datetime", "shutil", "zlib", "bz2", "lzma", "contextlib")
RUN_AND_LIST = r"""
import re, sys
# An editable install's import finder, loaded at startup (site), imports contextlib: forgotten, so that a
# command importing it shows (as it would cost in a plain install).
sys.modules.pop("contextlib", None)
from lkdebug.cli import main
code = main(sys.argv[2:])
compiled = [key[1] for cache in (getattr(re, "_cache", {}), getattr(re, "_cache2", {})) for key in cache]
with open(sys.argv[1], "w") as out:
    out.write("\n".join(sorted(sys.modules) + ["re:" + repr(p) for p in compiled]))
"""


def _modules_after(tmp_path, *argv: str) -> set[str]:
    project, listing = tmp_path / "project", tmp_path / "modules.txt"
    project.mkdir(exist_ok=True)
    # A key, its secret in another file (decode pairs them), a URL: every reader and the lint have work to do.
    (project / ".env").write_text("LIVEKIT_URL=wss://example.livekit.cloud\nLIVEKIT_API_KEY=APIexample1234\n")
    (project / ".env.local").write_text("LIVEKIT_API_SECRET=" + "s" * 40 + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "LKDEBUG_"))}
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST, str(listing), "--dir", str(project), *argv],
                            capture_output=True, text=True, timeout=60, env={**env, "HOME": str(tmp_path)})
    assert result.returncode in (0, 1), result.stderr
    return set(listing.read_text().split("\n"))


def _loaded(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in roots)


def test_token_decode_loads_neither_the_probes_nor_the_env_lint(tmp_path):
    from lkdebug.core.mint import build_claims, mint

    token = mint(build_claims(api_key="APIexample1234", identity="alice", now=1_700_000_000), "s" * 40)
    modules = _modules_after(tmp_path, "token", "decode", "--json", "--now", "1700000001", token)
    assert not _loaded(modules, NEVER_HEADLESS)
    assert "lkdebug.core.dotenv_sources" in modules  # it read the keys in the .env files...
    assert "lkdebug.core.diagnose" not in modules and "lkdebug.core.mint" not in modules  # ...and nothing it does not run
    assert not {*NOT_FOR_DISCOVERY, "lkdebug.core.claim_rows"} & modules  # the claims' table is the text's
    assert _compiled(modules, redact._DOTTED_RUN) and not _compiled(modules, *UNUSED_BY_A_BARE_TOKEN)


def _compiled(modules: set[str], *patterns) -> list[str]:
    """Which of `patterns` (lazyre or re patterns) the run compiled: a regular expression's compile is Python code."""
    return [p for p in (getattr(p, "_source", (p.pattern,))[0] for p in patterns) if "re:" + repr(p) in modules]


# Patterns a clean token's decode has no use for: paste's wrappers, the NODE_ENV mode, surrogates in claims,
# the token masking past its budget, and the control-character pattern (printable output needs no escape).
UNUSED_BY_A_BARE_TOKEN = (paste._BEARER, paste._ASSIGNMENT, paste._PERCENT, precedence._MODE_NAME,
                          server_rules._LONE_SURROGATE, redact._SHAPED_RUN, redact._RUN_BOUNDARY, redact._controls(True),
                          redact._controls(False))


def test_token_create_signs_without_pyjwt_or_the_http_stack_it_loads(tmp_path):
    modules = _modules_after(tmp_path, "token", "create", "--identity", "alice", "--room", "demo", "--join",
                             "--now", "1700000000")
    assert not _loaded(modules, NEVER_HEADLESS)
    assert not {"urllib.request", "http.client", "email", "cryptography"} & modules
    assert "lkdebug.core.server_rules" in modules  # it signed, and decoded what it signed


def test_env_loads_no_probe_and_no_library_it_does_not_use(tmp_path):
    modules = _modules_after(tmp_path, "env", "--json")
    assert not _loaded(modules, NEVER_HEADLESS)
    assert "lkdebug.core.envlint" in modules and "lkdebug.core.diagnose" not in modules
    # No variable holds a token here, so the decoder and the server's rules have nothing to judge (the TUI's
    # first frame runs the same lint).
    assert not {"lkdebug.core.decode", "lkdebug.core.server_rules"} & modules
    assert not {"select", "lkdebug.core.marks"} & modules  # no pipe read, no text rendered
    # No value is placeholder text, no name a password's, LIVEKIT_URL names no WS or HTTP, the URL holds no
    # password and the secret does not start like a key: those patterns (8 M instructions) are not compiled.
    assert not _compiled(modules, envlint.PLACEHOLDER, redact._SECRET_NAME_ASCII, envlint._SERVER_API_NAME,
                         redact._USERINFO, envlint.API_KEY_SHAPE)
    # Every line of these .env files is a plain KEY=value: the dotenv grammar's regexes are not compiled.
    assert not _compiled(modules, *(p for p in vars(dotenv_parse).values() if isinstance(p, lazyre.LazyPattern)))


def test_check_without_network_needs_no_event_loop(tmp_path):
    modules = _modules_after(tmp_path, "check", "--no-network", "--json")
    assert not _loaded(modules, NEVER_HEADLESS)
    probes = [m for m in modules if m in ("lkdebug.core.probes", "lkdebug.core.clock", "lkdebug.core.replies",
                                          "lkdebug.core.turn", "lkdebug.core.join", "lkdebug.core.threads")]
    assert "lkdebug.core.diagnose" in modules and not probes
    # Offline, no token is minted or sent, so the server's rules judge none; no pipe is read, no text drawn.
    assert not {"lkdebug.core.server_rules", "select", "lkdebug.core.marks"} & modules
