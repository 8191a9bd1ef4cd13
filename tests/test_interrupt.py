"""Ctrl+C ends `lkdebug check` at once while an NTP server keeps silent (issue 8: it waited 19.9 s for NTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

from lkdebug.demo.ntp import NtpResponder


def interrupted(argv: list[str], started: Callable[[subprocess.Popen], bool], **kw) -> subprocess.Popen:
    """Start `argv`, wait until `started` says it is waiting, send SIGINT, and wait (generously: 5 s) for it to end."""
    # SIGINT back to its default in the child: a shell's background job (`make test &`) ignores it, a child
    # inherits that, and Python then installs no KeyboardInterrupt handler (the test would hang, not fail).
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)
    try:
        assert started(process), "it never got to the waiting part"
        assert process.poll() is None, process.stderr.read().decode()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process


def test_sigint_during_a_silent_ntp_query_exits_130_at_once(tmp_path):
    with NtpResponder(silent=True) as silent:
        # Started means the NTP question has reached the (silent) server; --timeout 20 is far above 5 s.
        process = interrupted([sys.executable, "-m", "lkdebug", "check", "--dir", str(tmp_path), "--timeout", "20",
                               "--ntp-server", f"127.0.0.1:{silent.address[1]}"],
                              lambda _: silent.asked.wait(60), env={**os.environ, "HOME": str(tmp_path)})
    assert process.returncode == 130, process.stderr.read().decode()


def test_sigint_while_a_blocking_helper_hangs_exits_at_once():
    # A name lookup stuck on an unreachable resolver is such a helper; time.sleep stands in for it.
    script = ("import asyncio, time\n"
              "from lkdebug.commands.common import run_probes\n"
              "async def main():\n"
              "    print('waiting', flush=True)\n"
              "    await asyncio.get_running_loop().run_in_executor(None, time.sleep, 60)\n"
              "try:\n"
              "    run_probes(main())\n"
              "except KeyboardInterrupt:\n"
              "    raise SystemExit(130)\n")
    process = interrupted([sys.executable, "-c", script], lambda p: p.stdout.readline() == b"waiting\n")
    assert process.returncode == 130, process.stderr.read().decode()
