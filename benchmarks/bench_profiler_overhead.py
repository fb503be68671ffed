"""What raafperf's profilers and GC instrumentation cost, and what the GC modes change.

    python benchmarks/bench_profiler_overhead.py                 # everything (~3 minutes)
    python benchmarks/bench_profiler_overhead.py profilers --reps 3 --requests 120
    python benchmarks/bench_profiler_overhead.py gc-monitor
    python benchmarks/bench_profiler_overhead.py gc-modes

profilers:  bench passes of scenarios/quickstart.yaml (one process, one round) with no profiler,
            pyinstrument (1 ms and 10 ms), memray (arenas, Python allocators, native); the
            configurations alternate for --reps rounds and the median client CPU per request of
            each is compared with the median of the unprofiled passes.
gc-monitor: nanoseconds the gc.callbacks hook adds to one collection (young collections forced
            in a loop, with and without the monitor).
gc-modes:   an allocation-heavy request-like workload (JSON parsing, nested dicts, a cycle
            in one request of ten, a bounded cache) under each GC mode: collections, pause
            total and max, wall time.
Timings are noisy on a shared machine: compare ratios, not absolute values.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def profilers(reps: int, requests: int) -> None:
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.engine.overrides import apply_cli_overrides
    from raafperf.profiling.cpu import CpuProfiler
    from raafperf.profiling.memory import MemoryProfiler
    from raafperf.scenario.loader import load_scenario

    tmp = Path(tempfile.mkdtemp(prefix="raafperf-overhead-"))
    configs = {
        "none": lambda: None,
        "pyinstrument 1 ms": lambda: CpuProfiler(0.001),
        "pyinstrument 10 ms": lambda: CpuProfiler(0.01),
        "memray (arenas)": lambda: MemoryProfiler(tmp / "w", trace_python_allocators=False),
        "memray --trace-python-allocators": lambda: MemoryProfiler(tmp / "w"),
        "memray --native": lambda: MemoryProfiler(
            tmp / "w", native=True, trace_python_allocators=False
        ),
    }
    cpu: dict[str, list[float]] = {k: [] for k in configs}
    e2e: dict[str, list[float]] = {k: [] for k in configs}
    for rep in range(reps):
        order = list(configs) if rep % 2 == 0 else list(reversed(configs))
        for name in order:
            loaded = apply_cli_overrides(
                load_scenario(ROOT / "scenarios" / "quickstart.yaml"), requests=requests
            )
            options = BenchOptions(out_root=tmp, rounds=1, workers=1, instrument=configs[name]())
            summary = run_bench(loaded, options).summary["variants"]["baseline"]
            cpu[name].append(summary["client"]["cpu_per_request_ms"])
            e2e[name].append(summary["latency_ms"]["e2e"]["p50"])
            print(f"  rep {rep + 1} {name}: {cpu[name][-1]:.2f} ms CPU/request", flush=True)
    base = statistics.median(cpu["none"])
    base_e2e = statistics.median(e2e["none"])
    print(
        f"\nquickstart, {requests} requests/pass, {reps} passes each, median client CPU "
        "per request (process CPU / requests) and e2e p50:"
    )
    print(f"{'profiler':36} {'CPU/request':>12} {'ratio':>7} {'e2e p50':>9} {'ratio':>7}")
    for name in configs:
        c, e = statistics.median(cpu[name]), statistics.median(e2e[name])
        print(f"{name:36} {c:10.2f} ms {c / base:6.2f}x {e:7.1f} ms {e / base_e2e:6.2f}x")


def gc_monitor(n: int = 100_000) -> None:
    from raafperf.profiling.gc_monitor import GcMonitor

    def collect_loop() -> float:
        t = time.perf_counter_ns()
        for _ in range(n):
            gc.collect(0)
        return (time.perf_counter_ns() - t) / n

    plain = min(collect_loop() for _ in range(3))
    mon = GcMonitor()
    with mon:
        hooked = min(collect_loop() for _ in range(3))
    print(
        f"young collection: {plain:.0f} ns without the monitor, {hooked:.0f} ns with it: "
        f"+{hooked - plain:.0f} ns per collection ({mon.collections:,} recorded)"
    )


def _request_like(cache: dict, i: int) -> int:
    doc = json.loads(
        json.dumps(
            {
                "id": i,
                "messages": [
                    {"role": "user", "content": "x" * 40, "meta": {"n": k}} for k in range(20)
                ],
            }
        )
    )
    node: dict = {"doc": doc, "peers": []}
    if i % 10 == 0:
        node["peers"].append(node)  # some reference cycles, as frameworks make them
    cache[i % 2_000] = node
    return len(doc["messages"])


async def _workload(requests: int, concurrency: int) -> int:
    """Returns the most pymalloc blocks in use seen (sampled every 100 requests)."""
    cache: dict = {}
    sem = asyncio.Semaphore(concurrency)
    peak = 0

    async def one(i: int) -> None:
        nonlocal peak
        async with sem:
            _request_like(cache, i)
            await asyncio.sleep(0)
            _request_like(cache, i + 1)
            if i % 100 == 0:
                peak = max(peak, sys.getallocatedblocks())

    await asyncio.gather(*(one(i) for i in range(requests)))
    return peak


def gc_modes(requests: int = 10_000, concurrency: int = 32, reps: int = 3) -> None:
    from raafperf.profiling.gc_run import GcRun
    from raafperf.profiling.gc_tuning import GC_PRESETS

    # Long-lived start-up objects, as an application has (modules, models, pools).
    ballast = [{"k": i, "v": [i]} for i in range(200_000)]
    print(f"{requests:,} request-like tasks, {concurrency} at a time, 200k long-lived objects")
    print(
        f"(medians of {reps} runs; pause max is the smallest of the runs' maxima, since a busy "
        "machine stretches single pauses)"
    )
    print(
        f"{'mode':11} {'thresholds':>14} {'freeze':>6} {'collections':>11} {'gen2':>5} "
        f"{'pause total':>12} {'pause max':>10} {'peak blocks':>12} {'wall':>8}"
    )
    results: dict[str, list] = {mode: [] for mode in GC_PRESETS}
    for _ in range(reps):
        for mode in GC_PRESETS:
            run = GcRun(mode)
            run.start()
            try:
                run.warmup_done()
                t = time.perf_counter()
                blocks = asyncio.run(_workload(requests, concurrency))
                wall = time.perf_counter() - t
            finally:
                run.stop()
            results[mode].append((wall, blocks, run.summary()))
    med = statistics.median
    for mode, runs in results.items():
        preset = GC_PRESETS[mode]
        thresholds = "/".join(map(str, preset.thresholds or gc.get_threshold()))
        print(
            f"{mode:11} {thresholds:>14} {preset.freeze!s:>6} "
            f"{med(r[2]['collections']['total'] for r in runs):>11,.0f} "
            f"{med(r[2]['collections']['gen2'] for r in runs):>5.0f} "
            f"{med(r[2]['pause_ms']['total'] for r in runs):>9.1f} ms "
            f"{min(r[2]['pause_ms']['max'] for r in runs):>7.2f} ms "
            f"{med(r[1] for r in runs):>12,.0f} {med(r[0] for r in runs):>6.2f} s"
        )
    del ballast


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "what", nargs="?", default="all", choices=["all", "profilers", "gc-monitor", "gc-modes"]
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--requests", type=int, default=120)
    args = parser.parse_args()
    if args.what in ("all", "gc-monitor"):
        gc_monitor()
    if args.what in ("all", "gc-modes"):
        gc_modes()
    if args.what in ("all", "profilers"):
        profilers(args.reps, args.requests)


if __name__ == "__main__":
    main()
