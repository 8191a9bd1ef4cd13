"""`--version` and `--help` with stdout closed go to stderr (exit 0); every other output failure is one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lkdebug import __version__

pytestmark = pytest.mark.timeout(60)


def _lkdebug(redirect: str, *argv: str, tmp_path) -> subprocess.CompletedProcess:
    """lkdebug with its stdout redirected by a shell (`>&-` closes it, `1</dev/null` opens it for reading only)."""
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    return subprocess.run(["sh", "-c", f'"$0" -m lkdebug "$@" {redirect}', sys.executable, *argv, "--dir", str(tmp_path)], env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=50, cwd=tmp_path)


def test_version_with_stdout_closed_goes_to_stderr(tmp_path):
    result = _lkdebug(">&-", "--version", tmp_path=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (0, f"lkdebug {__version__}")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"]], ids=" ".join)
def test_help_with_stdout_closed_goes_to_stderr(tmp_path, argv):
    result = _lkdebug(">&-", *argv, tmp_path=tmp_path)
    assert result.returncode == 0 and result.stderr.startswith("usage: lkdebug"), result.stderr


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["env"], ["token", "decode", "not-a-token"], ["completion", "bash"]],
                         ids=" ".join)
def test_a_stdout_open_for_reading_only_is_one_line(tmp_path, argv):
    result = _lkdebug("1</dev/null", *argv, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "lkdebug: cannot write the output to stdout: Bad file descriptor"


@pytest.mark.parametrize("argv", [["completion", "bash"], ["webhook", "verify", "--body", "-", "--authorization", "x"]],
                         ids=" ".join)
def test_a_command_whose_product_is_stdout_says_it_is_closed(tmp_path, argv):
    result = _lkdebug(">&-", *argv, tmp_path=tmp_path)
    assert result.returncode == 2 and "stdout is closed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
