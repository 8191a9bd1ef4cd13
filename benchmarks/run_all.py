"""Run every benchmark in this folder, one after the other (`make bench`).

Each bench_*.py is a standalone script that measures lkdebug against a baseline in the same run
and prints ratios; nothing here asserts timings (these machines are shared and noisy).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

failed = 0
for script in sorted(Path(__file__).parent.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    failed += subprocess.run([sys.executable, str(script)]).returncode != 0
sys.exit(1 if failed else 0)
