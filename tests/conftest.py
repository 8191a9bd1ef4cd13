"""Shared fixtures: a frozen clock, fake keys, and an environment that never reads the developer's machine."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import settings

from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from tests import netns

# No per-example deadline (Hypothesis's default is 200 ms): a test's result must not depend on the
# machine's speed, and these run beside other work on shared cores. `HYPOTHESIS_PROFILE=thorough`
# (.ci/run's first run) draws ten times the examples: `make test` stays quick, CI searches wider.
settings.register_profile("lkdebug", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lkdebug"))


def examples(default: int) -> int:
    """A property test's example count: `default` in the everyday profile, ten times it in `thorough`."""
    return default * settings.default.max_examples // 100


# The longest tests start first (an inner pytest of its own, a browser, `serve` with its tabs' processes),
# so under xdist none of them is left running alone at the end. Each module's tests stay together: a
# module-scoped fixture is still set up once.
FIRST = ("tests/test_netns.py", "tests/test_serve_browser.py", "tests/test_serve_guard.py")


def pytest_collection_modifyitems(config, items):
    groups = [[item for item in items if item.nodeid.startswith(path)] for path in FIRST]
    rest = [item for item in items if not any(item.nodeid.startswith(path) for path in FIRST)]
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    items[:] = _heads_of_chunks(groups, rest, workers)
    _skip_netns_outside(items)


def _heads_of_chunks(groups: list[list], rest: list, workers: int) -> list:
    """`--dist worksteal` first hands each of the n workers a contiguous chunk of the collection (the i-th
    takes len(left) // (n - i)), and a worker keeps the head of its chunk when others steal its tail: so each
    FIRST group heads a chunk of its own instead of all running one after another on the first worker."""
    ordered, total, rest = [], sum(map(len, groups)) + len(rest), list(rest)
    for worker in range(workers):
        size = (total - len(ordered)) // (workers - worker)
        head = [item for group in groups[worker::workers] for item in group]
        take = max(0, size - len(head))
        ordered += head + rest[:take]
        del rest[:take]
    return ordered + rest


def _skip_netns_outside(items):
    """Outside their namespace the `netns` tests are collected but skipped: the runner runs them inside it."""
    if netns.inside():
        return
    skip = pytest.mark.skip(reason=f"runs inside its own network namespace, by {netns.RUNNER}")
    for item in items:
        if item.get_closest_marker("netns"):
            item.add_marker(skip)


def open_sockets() -> int:
    """This process's open sockets: their /proc/self/fd links read `socket:[inode]` (os.path.realpath makes
    them paths under /proc, so a count taken that way was always 0 and a leak check with it could not fail)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


# 2026-01-15T12:00:00Z: every test that needs "now" uses this unless it says otherwise.
FROZEN_NOW = 1768478400.0


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    """Debian's coturn on free 127.0.0.1 ports, one per test module (tests/coturn.py)."""
    from tests.coturn import Coturn

    server = Coturn(tmp_path_factory.mktemp("coturn")).start()
    yield server
    server.stop()


@pytest.fixture
def now() -> float:
    return FROZEN_NOW


@pytest.fixture
def demo_keys() -> dict[str, str]:
    return {DEMO_API_KEY: DEMO_API_SECRET}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test sees the developer's ~/.livekit or LIVEKIT_* variables."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in list(__import__("os").environ):
        if name.startswith(("LIVEKIT_", "NEXT_PUBLIC_LIVEKIT", "VITE_LIVEKIT")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home
