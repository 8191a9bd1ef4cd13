"""How long `lkdebug check` takes when every answer is slow, and when the server never answers.

Standalone, loopback only, no assertions: prints figures.

    .venv/bin/python benchmarks/bench_check.py

1. A stand-in whose every answer waits 1 s (delay=1): the probes run concurrently, so the whole
   check should take about 1 s, not the sum of the probes' durations.
2. A stand-in that accepts connections and never answers (fault="silent"), with --timeout 2:
   the check should end a little after 2 s with `net.timeout`.
3. `--media` against the stand-in (its aiortc endpoint): what the SDK's child process and a real
   join add to a check, as a ratio against the same check without it, run in the same script.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lkdebug.core.diagnose import diagnose  # noqa: E402
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings  # noqa: E402
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402
from lkdebug.demo.ntp import NtpResponder  # noqa: E402
from lkdebug.demo.server import StandInConfig, run_in_thread  # noqa: E402

RUNS = 5


def settings(url: str) -> Settings:
    return Settings(
        url=Setting("LIVEKIT_URL", url, "bench"),
        api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "bench"),
        api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, "bench"),
        known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, "bench")],
    )


def one_run(url: str, ntp: tuple[str, int], timeout: float, media_join: bool = False):
    started = time.monotonic()
    report = asyncio.run(diagnose(settings(url), timeout=timeout, ntp_servers=[ntp], in_container=False, media_join=media_join))
    return time.monotonic() - started, report


def bench(title: str, config: StandInConfig, timeout: float, media_join: bool = False) -> float:
    with NtpResponder() as ntp, run_in_thread(config) as server:
        one_run(server.url, ntp.address, timeout)  # warm up: imports (livekit-api, websockets, ntplib)
        walls, sums = [], []
        for _ in range(RUNS):
            wall, report = one_run(server.url, ntp.address, timeout, media_join)
            walls.append(wall)
            sums.append(sum(c.duration_ms or 0 for c in report.checks) / 1000)
    print(f"\n{title}")
    for check in report.checks:
        took = "" if check.status is CheckStatus.SKIP else f"{(check.duration_ms or 0) / 1000:6.2f} s"
        print(f"  {check.status.value:<5} {check.name:<13} {took:>8}  {check.detail[:70]}")
    wall, total = statistics.median(walls), statistics.median(sums)
    print(f"  whole check: median {wall:.2f} s over {RUNS} runs (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"  sum of the probes' durations: {total:.2f} s; whole / sum = {wall / total:.2f}")
    codes = sorted({f.code for f in report.findings if f.severity.value in ('error', 'warning')})
    print(f"  error/warning findings: {', '.join(codes) or 'none'}")
    return wall


def main() -> None:
    bench("Every answer takes 1 s (delay=1), --timeout 5", StandInConfig(delay=1.0), 5.0)
    bench("Silent server (accepts, never answers), --timeout 2", StandInConfig(fault="silent"), 2.0)
    plain = bench("The stand-in, no --media, --timeout 5", StandInConfig(), 5.0)
    media = bench("The stand-in, --media (LiveKit's SDK in a child process, aiortc on the stand-in)", StandInConfig(), 5.0, True)
    print(f"\n--media adds {media - plain:.2f} s to a check that takes {plain:.2f} s without it")


if __name__ == "__main__":
    main()
