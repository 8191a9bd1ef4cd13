"""`lkdebug` run in this process, as the CLI tests call it."""

from __future__ import annotations

import json

from lkdebug.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`lkdebug ARGV...` through cli.main: its exit code, stdout and stderr (captured by pytest's capsys)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    """`lkdebug ARGV...` (ARGV asks for JSON) through cli.main: its exit code and the document it printed."""
    code, out, _ = run(capsys, *argv)
    return code, json.loads(out)
