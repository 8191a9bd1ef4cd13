"""The headless commands against the interpreter's own floor, as whole processes.

Target (issue 10): `token decode --json`, `env --json` and `check --no-network --json` each cost
at most 2.0x the CPU of `python -c pass`. Standalone: prints medians and ratios, asserts nothing.

    .venv/bin/python benchmarks/bench_cli.py [--runs N] [--instructions]

How: in a venv holding only the runtime dependencies, pip upgraded first as `make run` does, bytecode
compiled (harness.runtime_venv), each command through the `lkdebug` console script a user runs, in a
project folder with a `.env`, HOME an empty folder. CPU is user + system time of the child (getrusage),
median of the runs; wall time is printed beside it. `--instructions` also counts each case's instructions
under callgrind (a few minutes): on a shared VM a start's CPU time moves by half from run to run, the
count does not.

The floors, printed in the same run: `python -c pass`; `python -I -S -c pass` (no site, no user paths:
what any Python process costs before `site` imports anything); `import json`, which alone is about 1.8x
`python -c pass` (json imports re, and re imports enum and functools); argparse with json, one parser
parsing one flag (argparse's first parser loads gettext and locale; the width is given, as lkdebug.cli
gives it, or argparse imports shutil and its compressors for the terminal's width). And each command's
own floor, what no implementation in Python can do without: that parser, json, and the builtin SHA-2 of
core/codec.py for `token decode`; the same and urllib.parse (a URL is checked) for `env` and `check
--no-network`. Each lkdebug row is given as a ratio to `python -c pass` and to its own floor. The
floors are above the 2.0x target themselves: 2.0x is out of reach of any argparse command line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import child_env, instructions, measure, runtime_venv  # noqa: E402

from lkdebug.core.mint import build_claims, mint  # noqa: E402
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

TARGET = 2.0
ONE_PARSER = ("import argparse; p = argparse.ArgumentParser(formatter_class=lambda prog: argparse.HelpFormatter(prog, width=78)); "
              "p.add_argument('--json', action='store_true'); p.parse_args(['--json']); ")
ARGPARSE_JSON = ONE_PARSER + "import json; json.dumps({'json': True})"
DECODE_FLOOR = ONE_PARSER + "import json; from lkdebug.core import codec; json.dumps({'sha256': codec.sha256().hexdigest()})"
BASE = "python -c pass"
FLOORS = {"lkdebug token decode --json": "floor of token decode", "lkdebug env --json": "floor of env and check",
          "lkdebug check --no-network --json": "floor of env and check"}


def cases(python: str, lkdebug: str, token: str) -> dict[str, list[str]]:
    return {
        "python -I -S -c pass": [python, "-I", "-S", "-c", "pass"],
        BASE: [python, "-c", "pass"],
        "import json": [python, "-c", "import json"],
        "argparse + json, one flag": [python, "-c", ARGPARSE_JSON],
        "floor of token decode": [python, "-c", DECODE_FLOOR],
        "floor of env and check": [python, "-c", DECODE_FLOOR + "; import urllib.parse"],
        "lkdebug token decode --json": [lkdebug, "token", "decode", "--json", token],
        "lkdebug env --json": [lkdebug, "env", "--json"],
        "lkdebug check --no-network --json": [lkdebug, "check", "--no-network", "--json"],
        "lkdebug token create": [lkdebug, "token", "create", "--identity", "alice", "--room", "demo", "--join"],
    }


def report(title: str, figures: dict[str, float], show) -> None:
    """One line per case: its figure, its ratio to `python -c pass`, and for lkdebug's the ratio to its floor."""
    print(title)
    for name, value in figures.items():
        line = f"  {name:<36} {show(name):<32} {value / figures[BASE]:5.2f}x"
        if name in FLOORS:
            line += f" (target <= {TARGET:.1f}x)  {value / figures[FLOORS[name]]:5.2f}x its floor"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--instructions", action="store_true",
                        help="also count each case's instructions under callgrind (minutes; load-free)")
    args = parser.parse_args()
    venv = runtime_venv()
    with tempfile.TemporaryDirectory() as folder:
        project, home = Path(folder, "project"), Path(folder, "home")
        project.mkdir(), home.mkdir()
        (project / ".env").write_text(f"LIVEKIT_URL=wss://bench.example.net\nLIVEKIT_API_KEY={DEMO_API_KEY}\n"
                                      f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
        token = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                                  now=time.time()), DEMO_API_SECRET)
        argvs = cases(str(venv / "bin" / "python"), str(venv / "bin" / "lkdebug"), token)
        env = child_env(home)
        results = measure(argvs, args.runs, project, env)
        counts = {name: instructions(argv, project, env) for name, argv in argvs.items()} if args.instructions else {}
    report(f"CPU per process, median of {args.runs} (runtime-only venv, bytecode compiled); ratio to `{BASE}`, "
           "and for lkdebug to the command's own floor:", {name: r["cpu"] for name, r in results.items()},
           lambda name: f"cpu {results[name]['cpu'] * 1000:6.1f} ms  wall {results[name]['wall'] * 1000:6.1f} ms")
    if args.instructions and None in counts.values():
        print("instructions: valgrind is not installed")
    elif args.instructions:
        report("instructions per process (callgrind, PYTHONHASHSEED=0, the same venv and cases):", counts,
               lambda name: f"{counts[name] / 1e6:7.1f} M instructions")


if __name__ == "__main__":
    main()
