"""How a command ends: its exit code, and the exception for input the user can fix (DESIGN §3).

A module of its own so the commands need not import `lkdebug.cli`, which imports them.
"""

from __future__ import annotations


class ExitCode:
    """Plain ints, which is all a process's exit status is (an IntEnum's class cost every command 0.6 M
    instructions to make)."""

    OK = 0
    FINDINGS = 1  # at least one finding of severity error
    USAGE = 2  # bad flag, unreadable file
    INTERNAL = 3  # a bug in lkdebug: one line and a hint, never a traceback


class UsageError(Exception):
    """Raised by a command for bad input the user can fix: printed as one line, exit 2."""
