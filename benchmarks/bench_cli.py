"""The headless commands against the interpreter's own floor, as whole processes.

Target (issue 10): `token decode --json`, `env --json` and `check --no-network --json` each cost
at most 2.0x the CPU of `python -c pass`. Standalone: prints medians and ratios, asserts nothing.

    .venv/bin/python benchmarks/bench_cli.py [--runs N]

How: in a venv holding only the runtime dependencies, bytecode compiled (harness.runtime_venv),
each command through the `lkdebug` console script a user runs, in a project folder with a
`.env`, HOME an empty folder. CPU is user + system time of the child (getrusage), median of the
runs; wall time is printed beside it. `python -I -S -c pass` (no site, no user paths) is the floor
under the floor: what any Python process costs before `site` imports anything.

The floor a command cannot go under is the standard library it really needs. Two rows show what the
three commands imported before issue 10's work (`STDLIB`: JSON, base64, hashlib/hmac, datetime, pathlib,
regular expressions, the select() of a bounded read), alone and with one argparse parser parsing one flag
(its first parser loads gettext and locale, and shutil for the terminal's width unless given one). Two more
are each command's true floor, what no implementation in Python can do without: argparse parsing one flag
with the width given (as lkdebug.cli does), json, and the builtin SHA-2 of core/codec.py for `token decode`;
the same and urllib.parse (a URL is checked) for `env` and `check --no-network`. Each lkdebug row is
also given as a ratio to its own floor. Those floors are above the 2.0x target themselves (instructions,
callgrind: `import re` alone, which the console script does, is 1.69x `python -c pass`, `import argparse`
1.96x, one parser 2.14x, the decode floor 2.39x): 2.0x is out of reach of any argparse command line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import child_env, measure, runtime_venv  # noqa: E402

from lkdebug.core.mint import build_claims, mint  # noqa: E402
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

TARGET = 2.0
# What token decode, env and check --no-network import from the standard library themselves (-X importtime):
# the floor under any implementation of them in Python.
STDLIB = "re, json, base64, binascii, hashlib, hmac, datetime, math, pathlib, select, urllib.parse"
ONE_PARSER = ("import argparse; p = argparse.ArgumentParser(formatter_class=lambda prog: argparse.HelpFormatter(prog, width=78)); "
              "p.add_argument('--json', action='store_true'); p.parse_args(['--json']); ")
DECODE_FLOOR = ONE_PARSER + "import json; from lkdebug.core import codec; json.dumps({'sha256': codec.sha256().hexdigest()})"
FLOORS = {"lkdebug token decode --json": "floor of token decode", "lkdebug env --json": "floor of env and check",
          "lkdebug check --no-network --json": "floor of env and check"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    venv = runtime_venv()
    python, lkdebug = str(venv / "bin" / "python"), str(venv / "bin" / "lkdebug")
    with tempfile.TemporaryDirectory() as folder:
        project, home = Path(folder, "project"), Path(folder, "home")
        project.mkdir(), home.mkdir()
        (project / ".env").write_text(f"LIVEKIT_URL=wss://bench.example.net\nLIVEKIT_API_KEY={DEMO_API_KEY}\n"
                                      f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
        token = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                                  now=time.time()), DEMO_API_SECRET)
        cases = {
            "python -I -S -c pass": [python, "-I", "-S", "-c", "pass"],
            "python -c pass": [python, "-c", "pass"],
            "floor: the stdlib they import": [python, "-c", f"import {STDLIB}"],
            "floor: the same and argparse": [python, "-c", f"import argparse, {STDLIB}; "
                                             "p = argparse.ArgumentParser(); p.add_argument('--json', action='store_true'); "
                                             "p.parse_args(['--json'])"],
            "floor of token decode": [python, "-c", DECODE_FLOOR],
            "floor of env and check": [python, "-c", DECODE_FLOOR + "; import urllib.parse"],
            "lkdebug token decode --json": [lkdebug, "token", "decode", "--json", token],
            "lkdebug env --json": [lkdebug, "env", "--json"],
            "lkdebug check --no-network --json": [lkdebug, "check", "--no-network", "--json"],
            "lkdebug token create": [lkdebug, "token", "create", "--identity", "alice", "--room", "demo", "--join"],
        }
        results = measure(cases, runs, project, child_env(home))
    floor, stdlib = results["python -c pass"]["cpu"], results["floor: the same and argparse"]["cpu"]
    print(f"CPU per process, median of {runs} (runtime-only venv, bytecode compiled); ratio to `python -c pass`"
          " (and, for lkdebug, to the stdlib they imported with argparse, and to the command's own floor):")
    for name, figures in results.items():
        ratio = figures["cpu"] / floor
        over = f"  {figures['cpu'] / stdlib:5.2f}x the old floor" if name.startswith("lkdebug") else ""
        if name in FLOORS:
            over += f"  {figures['cpu'] / results[FLOORS[name]]['cpu']:5.2f}x its floor"
        target = f"  (target <= {TARGET:.1f}x)" if name.startswith(("lkdebug token decode", "lkdebug env",
                                                                    "lkdebug check")) else ""
        print(f"  {name:<36} cpu {figures['cpu'] * 1000:6.1f} ms  wall {figures['wall'] * 1000:6.1f} ms"
              f"  {ratio:5.2f}x{over}{target}")


if __name__ == "__main__":
    main()
