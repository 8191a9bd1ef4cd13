"""Import hygiene (STYLE §1-2): the core never sees the UI, and headless commands pay only for what they use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
