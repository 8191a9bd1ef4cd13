"""TUI figures: time to first frame and peak memory against a one-widget Textual app, and the
Builder's keystroke-to-preview latency. Standalone; prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_tui.py [--runs 7] [--keys 200] [--venv both|test|runtime] [--instructions]

Targets (issue 10): first frame <= 1.15x the minimal app on every run; keystroke to preview
p95 < 8 ms; peak memory with every tab opened <= 1.3x the minimal app.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each child prints one JSON line: when its first frame was drawn (wall clock, and the process's
# CPU then), the heavy modules loaded by then, and its peak RSS then, a second later, and after
# every tab was opened.
# The first frame is the first screen update Textual hands to its driver outside a batch update:
# what a terminal would show. (Textual's ready callback, which starts the auto pilot, comes
# before that frame is rendered.) The hook is the same in both apps; the headless driver drops
# the output, so no terminal's speed is measured.
_REPORT = r"""
import json, os, resource, sys, time
from textual.app import App

SEEN = {}

def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime  # since the process started: what other work cannot inflate

_display = App._display

def _stop(at):
    # Straight to the descriptor (Textual captures sys.stdout): the caller checks where the child stopped.
    os.write(1, json.dumps({"stopped_at": at}).encode() + b"\n")
    os._exit(0)

def _timed_display(app, screen, renderable):
    _display(app, screen, renderable)
    if renderable is None or app._batch_count:
        return  # nothing drawn
    if "frame" not in SEEN:
        SEEN["frame"] = (time.time(), _cpu())
        SEEN["heavy"] = sorted({m.split(".")[0] for m in sys.modules}
                               & {"livekit", "jwt", "aiohttp", "websockets", "cryptography"})
        SEEN["first_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if os.environ.get("BENCH_EXIT_AT_FIRST_FRAME"):
            _stop("frame")  # --instructions: count up to the first frame only
    # lkdebug's first screen is the Environment tab: when are its findings and variables drawn?
    if "settings" not in SEEN and any(w.region.height for w in screen.query("#env-findings, #env-variables")):
        SEEN["settings"] = time.time()
        if os.environ.get("BENCH_EXIT_AT_SETTINGS"):
            _stop("settings")  # --instructions: count up to the frame that shows the settings

App._display = _timed_display

async def auto_pilot(pilot):
    while "frame" not in SEEN:
        await pilot.pause(0.01)
    await pilot.pause(1.0)  # what loads after the first frame (a hidden tab's pane is built when it is first opened)
    await pilot.app.workers.wait_for_complete()
    idle_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for key in "2341":  # every tab opened (the one-widget app has no bindings for these keys)
        await pilot.press(key)
        await pilot.pause(0.3)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.5)
    ready, cpu = SEEN["frame"]
    print(json.dumps({"ready": ready, "cpu": cpu, "settings": SEEN.get("settings"), "heavy_at_first_frame": SEEN["heavy"],
                      "first_rss_kib": SEEN["first_rss_kib"], "idle_rss_kib": idle_rss,
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    pilot.app.exit()
"""

MINIMAL = _REPORT + r"""
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("hello")

Minimal().run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
"""

# The real `lkdebug` path, as bare `lkdebug` in the project folder runs it: cli.main (the parser it builds
# for no command, settings discovery, the tui command), then the app, headless. The terminal check is the
# one step left out: the child's stdout is the pipe this script reads.
LKDEBUG = _REPORT + r"""
import lkdebug.commands.tui as tui_command
tui_command.require_terminal = lambda: None
_run = App.run
App.run = lambda app, *args, **kwargs: _run(app, headless=True, size=(80, 24), auto_pilot=auto_pilot)
from lkdebug.cli import main
main([])
"""


# Installed packages (textual) run from bytecode compiled at install time; lkdebug's own modules
# must too, or the comparison charges lkdebug for compiling its source on every start. Where the
# environment forbids writing bytecode (PYTHONDONTWRITEBYTECODE), the children cache it outside
# the checkout; the warm-up run fills the cache.
_PYCACHE = tempfile.mkdtemp(prefix="lkdebug-bench-pycache-")
atexit.register(shutil.rmtree, _PYCACHE, ignore_errors=True)  # one run's cache, not one folder per run left in /tmp


def _child_env(checkout: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "PYTHON"))}
    if checkout:  # the test venv runs lkdebug from this checkout; the runtime venv has it installed
        env["PYTHONPATH"] = str(ROOT)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    return env


def _child(python: str, code: str, project: str, checkout: bool) -> dict:
    env = _child_env(checkout)
    start = time.time()
    out = subprocess.run([python, "-c", code, project], capture_output=True, text=True, env=env,
                         cwd=project, timeout=120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"child failed: {out.stderr[-2000:]}")
    result = json.loads(line)
    result["first_frame_ms"] = (result["ready"] - start) * 1000
    if result["settings"] is not None:
        result["settings_ms"] = (result["settings"] - start) * 1000
    return result


def _stops_at(python: str, code: str, project: str, checkout: bool, stop: str) -> None:
    """Run the child as it is counted and check that it stopped where `stop` says, so a start that
    fails (a crash in compose, settings never drawn) is an error, not a count."""
    out = subprocess.run([python, "-c", code, project], capture_output=True, text=True, cwd=project,
                         env=_child_env(checkout) | {stop: "1"}, timeout=120)
    want = {"BENCH_EXIT_AT_FIRST_FRAME": "frame", "BENCH_EXIT_AT_SETTINGS": "settings"}[stop]
    if out.returncode or json.dumps({"stopped_at": want}) not in out.stdout.splitlines():
        raise RuntimeError(f"child did not reach the {want} frame (exit {out.returncode}): {out.stderr[-2000:]}")


def _python(venv: str) -> tuple[str, bool]:
    """(the venv's python, whether it runs lkdebug from this checkout)."""
    if venv == "runtime":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from harness import runtime_venv

        return str(runtime_venv() / "bin" / "python"), False
    return sys.executable, True


def _write_project(project: str) -> None:
    Path(project, ".env.local").write_text(
        "LIVEKIT_URL=wss://bench.example\nLIVEKIT_API_KEY=APIbenchFAKE\n"
        "LIVEKIT_API_SECRET=bench-secret-FAKE-0123456789abcdef0123\n"
    )


def startup(runs: int, venv: str) -> None:
    python, checkout = _python(venv)
    title = ("runtime-only venv (pip install of the checkout, no extras, compiled)" if venv == "runtime" else
             "test venv (with the test extras: trustme brings cryptography, which PyJWT imports)")
    with tempfile.TemporaryDirectory() as project:
        _write_project(project)
        _child(python, MINIMAL, project, checkout), _child(python, LKDEBUG, project, checkout)  # warm the file cache
        minimal, lkdebug = [], []
        for _ in range(runs):  # interleaved so drift affects both alike
            minimal.append(_child(python, MINIMAL, project, checkout))
            lkdebug.append(_child(python, LKDEBUG, project, checkout))
    if any(r["settings"] is None for r in lkdebug):
        raise RuntimeError("lkdebug's Environment findings and variables were never drawn: no figure to report")
    m_ms = statistics.median(r["first_frame_ms"] for r in minimal)
    l_ms = statistics.median(r["first_frame_ms"] for r in lkdebug)
    s_ms = statistics.median(r["settings_ms"] for r in lkdebug)
    m_cpu = statistics.median(r["cpu"] for r in minimal) * 1000
    l_cpu = statistics.median(r["cpu"] for r in lkdebug) * 1000
    # Run by run (each lkdebug start against the minimal start just before it): "on every run".
    per_run = [l["first_frame_ms"] / m["first_frame_ms"] for m, l in zip(minimal, lkdebug)]
    per_run_cpu = [l["cpu"] / m["cpu"] for m, l in zip(minimal, lkdebug)]
    m_rss = statistics.median(r["peak_rss_kib"] for r in minimal) / 1024
    l_rss = statistics.median(r["peak_rss_kib"] for r in lkdebug) / 1024
    l_first = statistics.median(r["first_rss_kib"] for r in lkdebug) / 1024
    l_idle = statistics.median(r["idle_rss_kib"] for r in lkdebug) / 1024
    print(f"{title}, 80x24, headless driver")
    print(f"time to first frame (median of {runs}, process start to first screen drawn; wall, and CPU of the process):")
    print(f"  minimal one-widget app  {m_ms:7.1f} ms wall  {m_cpu:7.1f} ms cpu")
    print(f"  lkdebug (env tab)       {l_ms:7.1f} ms wall  {l_cpu:7.1f} ms cpu   "
          f"ratio {l_ms / m_ms:.2f}x wall, {l_cpu / m_cpu:.2f}x cpu  (target <= 1.15x)")
    print(f"  run by run: wall {min(per_run):.2f}x-{max(per_run):.2f}x, cpu {min(per_run_cpu):.2f}x-{max(per_run_cpu):.2f}x")
    print(f"  Environment findings and variables drawn: {s_ms:.1f} ms wall")
    print(f"  heavy modules loaded at lkdebug's first frame: {', '.join(lkdebug[0]['heavy_at_first_frame']) or 'none'}")
    print("peak memory (RSS):")
    print(f"  minimal one-widget app  {m_rss:7.1f} MiB")
    print(f"  lkdebug, first frame    {l_first:7.1f} MiB   ratio {l_first / m_rss:.2f}x")
    print(f"  lkdebug, a second later (no tab opened) {l_idle:5.1f} MiB   ratio {l_idle / m_rss:.2f}x")
    print(f"  lkdebug, every tab opened {l_rss:5.1f} MiB   ratio {l_rss / m_rss:.2f}x  (target <= 1.3x)")


async def keystrokes(count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from textual import events

    from lkdebug.core.model import KnownKey, Setting, Settings
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
    from lkdebug.tui.app import LkDebugApp
    from lkdebug.tui.panes.builder import BuilderPane

    settings = Settings(
        url=Setting("LIVEKIT_URL", "wss://bench.example", "bench"),
        api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "bench"),
        api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, "bench"),
        known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, "bench")],
    )
    app = LkDebugApp(settings, now=lambda: 1768478400.0)
    to_state: list[float] = []
    round_trip: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        pane = app.query_one(BuilderPane)
        field = app.query_one("#f-sub")
        field.focus()
        await pilot.pause()
        # Type ten characters, erase them, again: an identity being edited, not one growing without end.
        keys = [("abcdefghij"[i % 10], "abcdefghij"[i % 10]) if (i // 10) % 2 == 0 else ("backspace", None)
                for i in range(count)]
        for key, char in keys:
            before = pane._token
            start = time.perf_counter()
            app.post_message(events.Key(key, char))  # as the driver delivers it: bindings apply
            while pane._token == before:  # the preview holds a token for the new identity
                await asyncio.sleep(0)
            to_state.append((time.perf_counter() - start) * 1000)
            await pilot.pause()  # let the frame paint before the next key
        for index in range(min(count, 50)):
            start = time.perf_counter()
            await pilot.press("abcdefghij"[index % 10])
            round_trip.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(to_state, n=20)
    print(f"builder keystroke -> preview updated ({count} keys typing and erasing the identity, 120x36):")
    print(f"  median {statistics.median(to_state):.1f} ms, p95 {q[18]:.1f} ms, max {max(to_state):.1f} ms (target p95 < 8 ms)")
    print(f"  Pilot press round trip incl. repaint (50 keys): median {statistics.median(round_trip):.1f} ms")


def instructions(venv: str) -> None:
    """Instructions executed from process start to the first frame, counted by callgrind: slow
    (minutes), but the same on a loaded machine as on a quiet one, where CPU time is not."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness import instructions as count

    python, checkout = _python(venv)
    counts = {}
    with tempfile.TemporaryDirectory() as project:
        _write_project(project)
        # (what, code, where the child stops): lkdebug's Environment findings and variables are
        # counted too, to the first frame in which they have a height.
        for name, code, stop in (("minimal", MINIMAL, "BENCH_EXIT_AT_FIRST_FRAME"),
                                 ("lkdebug", LKDEBUG, "BENCH_EXIT_AT_FIRST_FRAME"),
                                 ("settings", LKDEBUG, "BENCH_EXIT_AT_SETTINGS")):
            _stops_at(python, code, project, checkout, stop)  # bytecode cached before counting
            counts[name] = count([python, "-c", code, project], Path(project), _child_env(checkout) | {stop: "1"})
    if None in counts.values():
        print("instructions: valgrind is not installed")
        return
    print(f"instructions to the first frame ({venv} venv, callgrind): minimal {counts['minimal'] / 1e9:.2f} G, "
          f"lkdebug {counts['lkdebug'] / 1e9:.2f} G, ratio {counts['lkdebug'] / counts['minimal']:.2f}x; "
          f"lkdebug's Environment findings and variables drawn {counts['settings'] / 1e9:.2f} G, "
          f"ratio {counts['settings'] / counts['minimal']:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--venv", choices=("test", "runtime", "both"), default="both",
                        help="where the two apps run: this (test) venv, the runtime-only one, or each in turn")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions to the first frame under callgrind (minutes; load-free)")
    args = parser.parse_args()
    for venv in ("test", "runtime") if args.venv == "both" else (args.venv,):
        startup(args.runs, venv)
        if args.instructions:
            instructions(venv)
    asyncio.run(keystrokes(args.keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
