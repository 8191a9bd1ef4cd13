"""What the process benchmarks share: a runtime-only venv, and CPU/wall medians of whole processes.

`runtime_venv()`: a venv holding lkdebug and its runtime dependencies only, as a user's
`pip install` leaves it. The test venv also holds the test extras (trustme brings cryptography, pyjwt...), which makes
baselines such as `import jwt` dearer than a user would see. This venv is built once per source
state (pip upgraded first, as `make run` does, then `pip install` of the checkout, not editable, no
extras) and every module in it compiled to bytecode (`python -m compileall`), as an installed package
has it. It is kept in the temp folder, keyed by a hash of pyproject.toml, lkdebug/ and this file (how
the venv is built), so a rerun after no change reuses it.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in [ROOT / "pyproject.toml", Path(__file__).resolve(), *sorted((ROOT / "lkdebug").rglob("*"))]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def runtime_venv() -> Path:
    """The venv's folder (its python is bin/python, lkdebug's console script bin/lkdebug).

    Two benchmarks of the same source state (two worktrees at one commit, `make bench` beside a
    `--instructions` run) share one folder: the first builds it, under a lock, and the other waits for it.
    """
    venv = Path(tempfile.gettempdir()) / f"lkdebug-bench-runtime-{_source_hash()}"
    if (venv / ".complete").exists():
        return venv
    import fcntl

    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        if not (venv / ".complete").exists():
            _build_runtime_venv(venv)
    return venv


def _build_runtime_venv(venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    print(f"building a runtime-only venv in {venv} (pip install of the checkout, no extras)...",
          file=sys.stderr, flush=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    build = tempfile.mkdtemp(prefix="lkdebug-bench-build-")
    try:
        # A copy of the checkout, so the build leaves no build/ or egg-info folder in it.
        source = Path(build) / "src"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                                                   "build", ".hypothesis", "screenshots"))
        # As `make run` does: pip upgraded first, so lkdebug's console script is the one today's pip writes
        # (the interpreter's bundled pip 23.2 wrote one that starts with `import re`, 25 M instructions
        # that `make run`'s script does not pay). The package index is the machine's pip configuration.
        for args in (["--upgrade", "pip"], [str(source)]):
            pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                  "--disable-pip-version-check", *args], env=env, capture_output=True, text=True)
            if pip.returncode:
                raise SystemExit(f"pip install {' '.join(args)} into the runtime venv failed:\n{pip.stdout}{pip.stderr}")
    finally:
        shutil.rmtree(build, ignore_errors=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(venv / "lib")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    (venv / ".complete").touch()


def child_env(home: Path) -> dict[str, str]:
    """The environment the measured processes get: no LIVEKIT_* variables, a HOME of their own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LIVEKIT_", "NEXT_PUBLIC_LIVEKIT", "VITE_LIVEKIT", "PYTHON"))}
    env["HOME"] = str(home)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cases: dict[str, list[str]], runs: int, cwd: Path, env: dict[str, str],
            stdin: dict[str, Path] | None = None) -> dict[str, dict[str, float]]:
    """{name: {"cpu": median CPU seconds (user + system), "wall": median wall seconds}} of each argv.

    Every case runs once first (file cache warm), then the cases take turns `runs` times, so a
    change in the machine's load during the run affects every case alike. CPU time is the
    children's own (getrusage), which other work on a shared machine changes far less than wall time.
    `stdin` names a file to feed a case (a 1 MB token is longer than one argument may be).
    """
    stdin = stdin or {}

    def run(name: str) -> None:
        with open(stdin.get(name, os.devnull), "rb") as feed:
            subprocess.run(cases[name], cwd=cwd, env=env, stdin=feed, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)

    for name in cases:
        run(name)
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name in cases:
            cpu_before, wall_before = _children_cpu(), time.perf_counter()
            run(name)
            wall[name].append(time.perf_counter() - wall_before)
            cpu[name].append(_children_cpu() - cpu_before)
    return {name: {"cpu": statistics.median(cpu[name]), "wall": statistics.median(wall[name])} for name in cases}


def instructions(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 1200) -> int | None:
    """Instructions the process `argv` executes, counted by callgrind (None without valgrind): the same on a
    loaded machine as on a quiet one, where a start's CPU time moves by half. Slow (about 50x the run).
    String hashing is seeded (PYTHONHASHSEED=0), or set and dict layouts move the count from run to run."""
    if not shutil.which("valgrind"):
        return None
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], cwd=cwd,
                         env={**env, "PYTHONHASHSEED": "0"}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)
    collected = next((line for line in out.stderr.splitlines() if "Collected" in line), None)
    if collected is None:
        raise RuntimeError(f"callgrind counted nothing for {argv[:3]}: {out.stderr[-2000:]}")
    return int(collected.split()[-1])
