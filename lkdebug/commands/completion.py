"""`lkdebug completion bash|zsh|fish`: the shell script that completes lkdebug's commands and flags.

argcomplete writes it and answers the shell from the same argparse parser, so a new flag completes
without touching this file; it covers fish too (shtab does not).
"""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    import argcomplete

    print(argcomplete.shellcode(["lkdebug"], shell=args.shell), end="")
    return 0
