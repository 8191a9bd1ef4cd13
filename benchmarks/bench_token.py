"""`lkdebug token create` against a livekit-api script, and `token decode` at scale, as whole processes.

Targets (issues 5 and 10): create <= 0.5x a plain script minting the same token with livekit-api;
decode of a token whose metadata is 1 MB in under 1 s of wall time (and, beside it, of a 1.6 MB token
holding 60,000 claims, each folded and type-checked per parser); decode beside a livekit.yaml
of 1,000 keys no slower than 2x beside one key. Standalone: prints medians and ratios, asserts nothing.

    .venv/bin/python benchmarks/bench_token.py [--runs N]

Measured as bench_cli.py measures (harness.py): the runtime-only venv, bytecode compiled, the
`lkdebug` console script, CPU medians from getrusage; wall medians beside them. The CPU and wall
floor of that venv, `python -c pass`, is printed for reference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import child_env, measure, runtime_venv  # noqa: E402

from lkdebug.core.mint import build_claims, mint  # noqa: E402
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402

LIVEKIT_MINT = f"""
from livekit import api
print(api.AccessToken({DEMO_API_KEY!r}, {DEMO_API_SECRET!r}).with_identity("alice")
      .with_grants(api.VideoGrants(room_join=True, room="demo")).to_jwt())
"""


def livekit_yaml(keys: int) -> str:
    lines = [f"  {DEMO_API_KEY}: {DEMO_API_SECRET}"]
    lines += [f"  APIbench{n:08d}: bench-secret-FAKE-{n:08d}-0123456789abcdef" for n in range(keys - 1)]
    return "port: 7880\nkeys:\n" + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    venv = runtime_venv()
    python, lkdebug = str(venv / "bin" / "python"), str(venv / "bin" / "lkdebug")
    now = time.time()
    token = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                              now=now), DEMO_API_SECRET)
    big = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                            metadata="m" * 1_000_000, now=now), DEMO_API_SECRET)
    many_claims = mint({**build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "demo"},
                                       now=now), **{f"Claim{n}": n for n in range(60_000)}}, DEMO_API_SECRET)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project, one, many, home = root / "project", root / "one-key", root / "1000-keys", root / "home"
        for path in (project, one, many, home):
            path.mkdir()
        (project / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
        (root / "big-token").write_text(big)
        (root / "many-claims").write_text(many_claims)
        (one / "livekit.yaml").write_text(livekit_yaml(1))
        (many / "livekit.yaml").write_text(livekit_yaml(1000))
        decode = [lkdebug, "token", "decode", "--json"]
        cases = {
            "python -c pass": [python, "-c", "pass"],
            "livekit-api mint script": [python, "-c", LIVEKIT_MINT],
            "lkdebug token create": [lkdebug, "token", "create", "--identity", "alice", "--room", "demo", "--join"],
            "decode, 1 MB of metadata": [*decode, "--dir", str(project), "-"],
            "decode, 60,000 claims": [*decode, "--dir", str(project), "-"],
            "decode, livekit.yaml of 1 key": [*decode, "--dir", str(one), token],
            "decode, livekit.yaml of 1,000 keys": [*decode, "--dir", str(many), token],
        }
        results = measure(cases, runs, project, child_env(home), stdin={"decode, 1 MB of metadata": root / "big-token",
                                                                         "decode, 60,000 claims": root / "many-claims"})
    print(f"whole processes, median of {runs} (runtime-only venv, bytecode compiled):")
    for name, figures in results.items():
        print(f"  {name:<36} cpu {figures['cpu'] * 1000:7.1f} ms  wall {figures['wall'] * 1000:7.1f} ms")
    create = results["lkdebug token create"]["cpu"] / results["livekit-api mint script"]["cpu"]
    keys = results["decode, livekit.yaml of 1,000 keys"]["cpu"] / results["decode, livekit.yaml of 1 key"]["cpu"]
    print(f"create / livekit-api script (cpu)    = {create:.2f}x (target <= 0.5x)")
    print(f"decode with 1 MB of metadata (wall)  = {results['decode, 1 MB of metadata']['wall']:.2f} s (target < 1 s)")
    print(f"decode of 60,000 claims (wall)       = {results['decode, 60,000 claims']['wall']:.2f} s (target < 1 s)")
    print(f"1,000 keys / 1 key (cpu)             = {keys:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
