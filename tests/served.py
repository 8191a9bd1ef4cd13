"""The real `lkdebug serve` as a subprocess on 127.0.0.1, for tests/test_serve_*.py.

Every process it starts carries a marker in its environment, so the tests find each tab's
lkdebug whatever its process group or parent (each tab runs in a group of its own, and an
orphan is re-parented): when the server is stopped, none may be left.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lkdebug.demo.server import free_port

WAIT = 30.0  # seconds: an upper bound for every wait, never a sleep
MARK = "LKDEBUG_SERVE_TEST_RUN"
PRINTED_URL = re.compile(rb"open (http://\S+) in a browser")


@dataclass
class Served:
    url: str  # the URL `serve` printed, with its secret
    server: subprocess.Popen
    run: str  # the environment marker of this run's processes

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    @property
    def secret(self) -> str:
        return parse_qs(urlsplit(self.url).query)["token"][0]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def processes(self) -> list[tuple[int, list[str]]]:
        """(pid, argv) of every live process of this run but the server itself."""
        return [member for member in marked(self.run) if member[0] != self.server.pid]

    def apps(self) -> list[tuple[int, list[str]]]:
        """Each tab's `python -m lkdebug tui`."""
        return [(pid, argv) for pid, argv in self.processes() if argv[1:4] == ["-m", "lkdebug", "tui"]]


def marked(run: str) -> list[tuple[int, list[str]]]:
    """(pid, argv) of every process whose environment holds this run's marker, zombies left out."""
    needle = f"{MARK}={run}".encode()
    members = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle not in environ.read_bytes().split(b"\0"):
                continue
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            argv = (environ.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            continue  # exited while we looked, or not ours
        if state != "Z":
            members.append((int(environ.parent.name), argv))
    return members


def poll(condition, what: str, timeout: float = WAIT, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(step)
    return result


@contextlib.contextmanager
def lkdebug_serve(project: Path, log: Path, *flags: str, stdin=subprocess.DEVNULL) -> Iterator[Served]:
    """`lkdebug serve` on a free loopback port; on exit SIGTERM, and no process of it may be left."""
    port = free_port()
    run = uuid.uuid4().hex
    env = {**os.environ, MARK: run}
    env.pop("NO_COLOR", None)  # the page (and screenshots/served.png) shows lkdebug's real colours
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "lkdebug", "serve", "--port", str(port), "--dir", str(project), *flags],
            stdin=stdin, stdout=output, stderr=output, env=env, start_new_session=True,
        )
    try:
        def printed() -> str | None:
            if server.poll() is not None:
                raise AssertionError(f"lkdebug serve exited with {server.returncode}:\n{log.read_text()}")
            if not (match := PRINTED_URL.search(log.read_bytes())):
                return None
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return match.group(1).decode()
            return None

        yield Served(poll(printed, "lkdebug serve listening"), server, run)
    finally:
        stop(server, run)


def stop(server: subprocess.Popen, run: str) -> None:
    """SIGTERM to the server alone (as a service manager sends it): it must end every tab's process."""
    with contextlib.suppress(ProcessLookupError):
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=WAIT)
        poll(lambda: not marked(run), "every per-tab lkdebug process gone after SIGTERM to serve", timeout=10)
    finally:
        leftovers = marked(run)
        for pid, _ in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait(timeout=WAIT)
        assert not leftovers, f"processes outlived the server: {leftovers}"
