"""Start-up: `raafperf --help`, and the time until the quickstart prints its first result.

python benchmarks/bench_startup.py [--repeats 5]
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

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exe = [sys.executable, "-m", "raafperf"]
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([*exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"raafperf --help: median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms over {args.repeats} runs"
    )
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        proc = subprocess.run(
            [*exe, "bench", str(ROOT / "scenarios" / "quickstart.yaml"), "--out", d],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "140"},
            check=False,
        )
        total = time.perf_counter() - start
    print(f"quickstart: summary printed after {total:.1f} s (exit {proc.returncode})")


if __name__ == "__main__":
    main()
