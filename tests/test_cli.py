"""The CLI's own contract: exit codes and one-line errors (DESIGN §3)."""

from __future__ import annotations

import re
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


def test_what_a_run_made_is_frozen_for_the_exit_once_however_often_main_runs(tmp_path):
    """The interpreter's last collections skip the run's objects (cli._freeze_at_exit): an exit handler
    registered before main runs after main's, and finds them frozen, by one call however many runs there were."""
    code = ("import atexit, gc, sys; calls = []; freeze = gc.freeze; gc.freeze = lambda: calls.append(freeze()); "
            "atexit.register(lambda: print(len(calls), gc.get_freeze_count() > 0)); "
            "from lkdebug.cli import main; main(['--dir', sys.argv[1], 'env', '--json']); "
            "main(['--dir', sys.argv[1], 'env', '--json'])")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 True"


def test_bare_lkdebug_without_a_terminal_says_so_in_one_line(tmp_path):
    # Started from a pipe or a cron job, the TUI would write escape codes until killed.
    result = subprocess.run([sys.executable, "-m", "lkdebug", "--dir", str(tmp_path)], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == cli.ExitCode.USAGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "needs a terminal" in result.stderr and "lkdebug check" in result.stderr


@pytest.mark.parametrize("argv", [["--tab", "decoder", "--token", "T"], ["tui", "--tab", "decoder", "--token", "T"]])
def test_the_tui_takes_tab_and_token_with_or_without_its_name(monkeypatch, argv):
    seen = []
    monkeypatch.setitem(sys.modules, "lkdebug.commands.tui", types.SimpleNamespace(run=lambda args: seen.append(args) or 0))
    assert cli.main(argv) == 0
    assert (seen[0].tab, seen[0].token) == ("decoder", "T")


def test_top_level_tab_with_another_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--token", "T", "check", "--no-network"])
    assert exit_info.value.code == cli.ExitCode.USAGE


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"TERM": "xterm-256color", "NO_COLOR": "1"}])
def test_dumb_terminal_and_no_color_get_plain_text(tmp_path, env):
    import os
    import pty

    (tmp_path / ".env").write_text("LIVEKIT_URL=ws://localhost:7880\nLIVEKIT_API_KEY=short\n")
    leader, follower = pty.openpty()  # a real terminal on stdout and stderr: where colour would go
    try:
        process = subprocess.run(
            [sys.executable, "-m", "lkdebug", "check", "--no-network", "--dir", str(tmp_path)],
            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, timeout=60,
            env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")} | env,
        )
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the writer is gone and everything was read
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    assert process.returncode in (0, 1)
    assert b"lkdebug check" in output and b"\x1b" not in output


@pytest.mark.parametrize("columns", [None, "37", "133", "0", "wide"])
def test_help_is_as_wide_as_argparse_makes_it_without_importing_shutil(monkeypatch, columns):
    """cli._Parser finds the terminal's width itself (shutil's import is dear): the same width as argparse's own."""
    import argparse

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    parser = cli.build_parser()
    ours = parser.format_help()
    monkeypatch.setattr(cli._Parser, "_get_formatter", argparse.ArgumentParser._get_formatter)
    assert ours == parser.format_help()


def _outcome(run, capsys) -> tuple[object, str, str]:
    """(exit code, stdout, stderr) of `run()`, which may exit as argparse does."""
    try:
        code = run()
    except SystemExit as done:
        code = done.code
    out, err = capsys.readouterr()
    return code, out, err


HELP_AND_ERRORS = (["--help"], ["token", "--help"], ["token", "decode", "--help"], ["env", "--help"],
                   ["env", "--no-such-flag"], ["token"], ["token", "decode", "--now"], ["no-such-command"],
                   ["check", "--timeout", "soon"], ["--version"])


@pytest.mark.parametrize("argv", HELP_AND_ERRORS, ids=" ".join)
def test_help_and_usage_errors_are_the_whole_parsers(monkeypatch, capsys, argv):
    """main builds only the invoked command's parser, with argparse's messages looked up once each: what it
    prints, and its exit code, are those of the whole parser as argparse alone builds and parses it."""
    import argparse

    monkeypatch.setenv("COLUMNS", "80")
    ours = _outcome(lambda: cli.main(argv), capsys)
    assert argparse._.__module__ == "gettext"  # main put argparse's own lookup back
    assert ours == _outcome(lambda: cli.build_parser(lazy=False).parse_args(argv), capsys)
    assert ours[0] in (0, 2) and (ours[1] if ours[0] == 0 else ours[2])


def test_argparse_looks_each_message_up_once_per_run(monkeypatch, tmp_path, capsys):
    """Each gettext lookup searches the locale folders: a run that makes three parsers asks for one message once,
    and its output is the translation's (a translated catalogue stands in)."""
    import argparse

    asked: list[str] = []
    placeholder = re.compile(r"(%\([^)]*\)[a-z]|%[a-z%])")  # Python 3.13 also translates "%(heading)s:"

    def translate(message: str) -> str:  # upper case, as a catalogue would change the words but not the fields
        asked.append(message)
        return "".join(part if placeholder.fullmatch(part) else part.upper() for part in placeholder.split(message))

    monkeypatch.setattr(argparse, "_", translate)
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = _outcome(lambda: cli.main(["token", "decode", "--help"]), capsys)
    assert code == 0 and "SHOW THIS HELP MESSAGE AND EXIT" in out
    assert asked and len(asked) == len(set(asked)), asked
    asked.clear()
    assert _outcome(lambda: cli.build_parser(lazy=False).parse_args(["token", "decode", "--help"]), capsys)[1] == out
