"""How reading a `.env` grows with its length: lkdebug's reader against python-dotenv's own `dotenv_values`.

Target (issues 8 and 10): linear growth, and 10,000 lines well under 1 s. Prints, for 1,000 to 40,000
lines (40,000 short lines stay under the 1 MiB cap), the best of N runs and the time per line; a linear
reader keeps its time per line flat while python-dotenv's (which copies every earlier value per line while
expanding) grows, so it runs once and only up to 10,000 lines. A value with a long run of blanks is timed too, the case python-dotenv's own parser is quadratic in.
Then whole processes, as a user runs them (harness.py: the runtime-only venv, bytecode compiled, the
`lkdebug` console script): `lkdebug env --json` in a project whose `.env` has 10,000 lines of LiveKit
variables, of LiveKit URLs (each linted as a URL), or of other variables, beside one of 2 lines; CPU and
wall medians, the wall figure against the 1 s target.
Standalone: prints, asserts nothing.

    .venv/bin/python benchmarks/bench_dotenv.py [--runs N] [--process-runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from dotenv import dotenv_values  # noqa: E402
from harness import child_env, measure, runtime_venv  # noqa: E402

from lkdebug.core.dotenv_sources import read_dotenv  # noqa: E402


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--process-runs", type=int, default=7)
    options = parser.parse_args()
    runs = options.runs
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".env"
        print(f"{'lines':>7}  {'lkdebug':>9}  {'per line':>9}  {'python-dotenv':>13}  {'per line':>9}")
        for lines in (1_000, 10_000, 40_000):
            path.write_text("".join(f"LIVEKIT_V{i}=v{i} # n\n" for i in range(lines)))
            ours = best(lambda: read_dotenv(path, ".env", {}), runs)
            if lines > 10_000:  # python-dotenv needs minutes here
                print(f"{lines:>7}  {ours:>8.3f}s  {ours / lines * 1e6:>7.1f}us  {'(not run)':>13}")
                continue
            theirs = best(lambda: dotenv_values(path), 1)
            print(f"{lines:>7}  {ours:>8.3f}s  {ours / lines * 1e6:>7.1f}us  {theirs:>12.3f}s  {theirs / lines * 1e6:>7.1f}us")
        for blanks in (5_000, 20_000):
            path.write_text(f"A=x{' ' * blanks}y\n")
            ours = best(lambda: read_dotenv(path, ".env", {}), runs)
            theirs = best(lambda: dotenv_values(path), 1)
            print(f"a value with {blanks:,} blanks: lkdebug {ours:.3f}s, python-dotenv {theirs:.3f}s")
    whole_processes(options.process_runs)


# The shapes of a 10,000-line .env: what each line costs depends on what lkdebug does with its variable.
SHAPES = {
    "2 lines (LIVEKIT_URL, LIVEKIT_API_KEY)": lambda i: f"LIVEKIT_URL=wss://a.example\nLIVEKIT_API_KEY=APIabc{i}\n" if i == 0 else "",
    "10,000 LIVEKIT_V<n>=v<n> # n": lambda i: f"LIVEKIT_V{i}=v{i} # n\n",
    "10,000 NEXT_PUBLIC_LIVEKIT_URL_<n>=wss://...": lambda i: f"NEXT_PUBLIC_LIVEKIT_URL_{i}=wss://x{i}.livekit.cloud\n",
    "10,000 APP_SETTING_<n>=value-<n>": lambda i: f"APP_SETTING_{i}=value-{i}\n",
}


def whole_processes(runs: int) -> None:
    venv = runtime_venv()
    lkdebug = str(venv / "bin" / "lkdebug")
    with tempfile.TemporaryDirectory() as folder:
        root, cases = Path(folder), {"python -c pass": [str(venv / "bin" / "python"), "-c", "pass"]}
        (root / "home").mkdir()
        for index, (name, line) in enumerate(SHAPES.items()):
            project = root / f"project-{index}"
            project.mkdir()
            (project / ".env").write_text("".join(line(i) for i in range(10_000)))
            cases[f"env --json, {name}"] = [lkdebug, "env", "--json", "--dir", str(project)]
        results = measure(cases, runs, root, child_env(root / "home"))
    print(f"whole processes, median of {runs} (runtime-only venv, bytecode compiled):")
    for name, figures in results.items():
        target = "" if name.startswith(("python", "env --json, 2 lines")) else "  (target: wall < 1 s)"
        print(f"  {name:<58} cpu {figures['cpu'] * 1000:7.1f} ms  wall {figures['wall'] * 1000:7.1f} ms{target}")


if __name__ == "__main__":
    main()
