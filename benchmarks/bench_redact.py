"""What `redact.scrub` costs on 20 MB pastes, against the `eyJ`-prefix regex it replaced.

Standalone, no assertions: prints figures.

    .venv/bin/python benchmarks/bench_redact.py

For each paste: the time of `scrub` (tokens by structure, URL passwords, secret-named query values,
one known secret) and of the old `eyJ...` regex substitution over the same text, as a ratio, and the
peak memory `scrub` adds, as a multiple of the paste's size (the attack's 20 MB paste used 802 MiB).
"""

from __future__ import annotations

import base64
import gc
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lkdebug.core import redact  # noqa: E402

SIZE = 20_000_000
OLD = re.compile(r"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)")  # the masking before issue 8
TOKEN = "eyAiYWxnIjogIkhTMjU2IiB9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtMTIz"
SECRET = "a-known-secret-0123456789-abcdefghij"


def pastes() -> dict[str, str]:
    line = f"GET /rtc?access_token={TOKEN}&x=1 from ws://admin:pw@host (v1.2.3, www.example.com) ok\n"
    big_payload = base64.urlsafe_b64encode(b'{"metadata":"' + b"x" * (SIZE * 3 // 4 - 20) + b'"}').decode().rstrip("=")
    return {
        "URL-shaped (one 20 MB query value)": "https://app.example/r?token=" + "A" * SIZE,
        "a log with a token on every line": line * (SIZE // len(line)),
        "one token with a 20 MB payload": f"eyJhbGciOiJIUzI1NiJ9.{big_payload}.c2ln",
        "crafted: 20 MB of `e30.` segments": "e30." * (SIZE // 4),
        "crafted: dotted JWT-shaped runs": "e30.e30.e30 " * (SIZE // 12),
    }


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    print(f"{'paste':<40} {'scrub':>8} {'old regex':>10} {'ratio':>7} {'peak / size':>12}")
    for name, text in pastes().items():
        new = timed(lambda: redact.scrub(text, [SECRET]))
        old = timed(lambda: OLD.sub(r"\1.<signature hidden>", text))
        gc.collect()
        tracemalloc.start()
        redact.scrub(text, [SECRET])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:<40} {new:>7.2f}s {old:>9.2f}s {new / old:>6.1f}x {peak / len(text):>11.1f}x", flush=True)


if __name__ == "__main__":
    main()
