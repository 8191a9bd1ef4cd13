"""How fast `lkdebug token decode` and `lkdebug token create` start, as whole processes.

Targets (the issue): decode --json <= 1.5x `python -c "import jwt"`; create <= 0.5x a plain script
that mints the same token with livekit-api. Standalone: prints medians and ratios, asserts nothing.

    .venv/bin/python benchmarks/bench_token.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkdebug.core.token import build_claims, mint  # noqa: E402
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

LIVEKIT_MINT = f"""
from livekit import api
print(api.AccessToken({DEMO_API_KEY!r}, {DEMO_API_SECRET!r}).with_identity("alice")
      .with_grants(api.VideoGrants(room_join=True, room="demo")).to_jwt())
"""


def median_seconds(argv: list[str], runs: int, cwd: Path, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    python = sys.executable
    # Installed packages run from cached bytecode: let the children write it, outside the checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as pycache:
        env["PYTHONPYCACHEPREFIX"] = pycache
        project = Path(folder)
        (project / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
        token = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                                  now=time.time()), DEMO_API_SECRET)
        cases = {
            "python -c 'import jwt'": [python, "-c", "import jwt"],
            "lkdebug token decode --json": [python, "-m", "lkdebug", "token", "decode", "--json", token],
            "livekit-api mint script": [python, "-c", LIVEKIT_MINT],
            "lkdebug token create": [python, "-m", "lkdebug", "token", "create", "--identity", "alice", "--room", "demo", "--join"],
        }
        for argv in cases.values():  # warm the OS cache and the bytecode caches once
            subprocess.run(argv, cwd=project, env=env, capture_output=True, check=False)
        medians = {name: median_seconds(argv, runs, project, env) for name, argv in cases.items()}
    for name, seconds in medians.items():
        print(f"{name:<32} {seconds * 1000:7.1f} ms (median of {runs})")
    decode_ratio = medians["lkdebug token decode --json"] / medians["python -c 'import jwt'"]
    create_ratio = medians["lkdebug token create"] / medians["livekit-api mint script"]
    print(f"decode / import jwt      = {decode_ratio:.2f}x (target <= 1.5x)")
    print(f"create / livekit-api     = {create_ratio:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
