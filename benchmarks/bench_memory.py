"""Memory per million recorded requests: the recorder's columnar buffers, then the saved files.

python benchmarks/bench_memory.py [--requests 1000000] [--tokens 16]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from raafperf.client.types import CallResult
from raafperf.record.recorder import Recorder
from raafperf.record.spill import Spill
from raafperf.record.store import write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument(
        "--spill",
        action="store_true",
        help="Record as a bench run does: parts spilled to disk as it goes.",
    )
    args = parser.parse_args()
    t0 = time.perf_counter_ns()
    tmpdir = tempfile.TemporaryDirectory()
    spill = Spill(Path(tmpdir.name) / "parts") if args.spill else None
    rec = Recorder(t0, spill=spill)
    tokens = [t0 + 50_000_000 + k * 10_000_000 for k in range(args.tokens)]
    call = CallResult(
        ok=True,
        provider="sim",
        model="gpt-4o-mini",
        start_ns=t0,
        end_ns=tokens[-1],
        first_token_ns=tokens[0],
        token_ns=tokens,
        prompt_tokens=30,
        completion_tokens=args.tokens,
        usage_reported=True,
    )
    tracemalloc.start()
    start = time.perf_counter()
    for i in range(args.requests):
        rec.record(
            variant="baseline",
            idx=i,
            phase="measure",
            worker=0,
            agent="support",
            query=i % 50,
            intended_ns=t0,
            start_ns=t0,
            end_ns=tokens[-1],
            calls=[call],
            tools=[],
            ok=True,
            error_kind=None,
            turns=1,
        )
    elapsed = time.perf_counter() - start
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{args.requests:,} requests with {args.tokens} tokens each"
        + (" (spilled to disk every 100,000)" if args.spill else " (all in memory)")
    )
    print(f"recording: {elapsed / args.requests * 1e6:.2f} µs per request (with tracemalloc on)")
    print(
        f"buffers: {current / 2**20:,.0f} MiB held, {peak / 2**20:,.0f} MiB peak "
        f"({current / args.requests:,.0f} bytes per request incl. its call and "
        f"{args.tokens - 1} token gaps)"
    )
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        if spill is not None:
            spill.finish(
                rec.requests, rec.calls, Path(d) / "requests.parquet", Path(d) / "calls.parquet"
            )
        else:
            write_table(Path(d) / "requests.parquet", rec.requests)
            write_table(Path(d) / "calls.parquet", rec.calls)
        size = sum(p.stat().st_size for p in Path(d).iterdir())
        print(f"saved as Parquet in {time.perf_counter() - start:.1f} s: {size / 2**20:,.1f} MiB")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
