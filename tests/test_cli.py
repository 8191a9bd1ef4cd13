"""The CLI's own contract: exit codes and one-line errors (DESIGN §3)."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from lkdebug import cli


def test_bad_flag_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["env", "--no-such-flag"])
    assert exit_info.value.code == cli.ExitCode.USAGE


def test_usage_error_is_one_line(monkeypatch, capsys):
    def run(args):
        raise cli.UsageError("--dir nowhere: not a folder")

    monkeypatch.setitem(sys.modules, "lkdebug.commands.env", types.SimpleNamespace(run=run))
    assert cli.main(["env"]) == cli.ExitCode.USAGE
    assert capsys.readouterr().err == "lkdebug: --dir nowhere: not a folder\n"


def test_internal_error_is_one_line_with_a_hint(monkeypatch, capsys):
    def run(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.delenv("LKDEBUG_DEBUG", raising=False)
    monkeypatch.setitem(sys.modules, "lkdebug.commands.env", types.SimpleNamespace(run=run))
    assert cli.main(["env"]) == cli.ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "ZeroDivisionError" in err and "LKDEBUG_DEBUG=1" in err


def test_common_options_before_or_after_the_command():
    parser = cli.build_parser()
    assert parser.parse_args(["--dir", "x", "env"]).dir == "x"
    assert parser.parse_args(["env", "--dir", "y"]).dir == "y"
    assert parser.parse_args(["env"]).dir == "."


def test_unreadable_dir_is_usage_error_in_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "lkdebug", "env", "--dir", str(tmp_path / "missing")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("lkdebug: ") and "Traceback" not in result.stderr
