"""How the load generator's capacity grows with workers, and what a cluster needs.

Runs a closed loop against the built-in simulator with zero latency (16 output tokens,
streamed), so the generator — not the target — is the limit, with 1 and 2 local worker
processes and 1 and 2 Ray actors on a local Ray instance. For each it prints requests/s, the
generator's CPU (all workers together), requests per generator CPU-second, and p50 E2E.

Requests per CPU-second is the figure that carries over to other machines: wall-clock
requests/s on a small box also depends on how many cores the simulator and the OS leave to
the workers. From the best per-CPU figure it extrapolates the actors (one CPU each) and
nodes a cluster needs for a target rate, at a utilisation that keeps scheduler lag low.

    python benchmarks/bench_scaling.py                           # default matrix
    python benchmarks/bench_scaling.py --requests 5000 --target 20000 --cores-per-node 32
    python benchmarks/bench_scaling.py --no-ray                  # local processes only
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIO = """\
name: scaling
providers:
  - name: sim
    kind: simulated
    models: [gpt-4o-mini]
    simulator:
      latency:
        ttft_ms: 0
        itl_ms: 0
        output_tokens: 16
agents:
  - name: helper
    model: gpt-4o-mini
queries:
  - agent: helper
    texts:
      - Summarise the printing press in two sentences.
      - What is the boiling point of water at altitude?
      - Explain connection pooling briefly.
load:
  mode: closed
  concurrency: {concurrency}
  requests: {requests}
  warmup: {warmup}
  seed: 1
stream: true
"""


def run_one(path: Path, out: Path, workers: int, ray: bool, repeat: int) -> dict[str, Any]:
    """Medians over ``repeat`` runs of one configuration."""
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.scenario.loader import load_scenario

    runs = []
    for i in range(repeat):
        outcome = run_bench(
            load_scenario(path),
            BenchOptions(run_dir=out / str(i), workers=workers, ray="local" if ray else None),
        )
        v = outcome.summary["variants"]["baseline"]
        cpu = v["client"]["cpu_s"] or float("nan")
        runs.append(
            {
                "rps": v["throughput"]["requests_per_s"],
                "cpu_s": cpu,
                "per_cpu_s": v["requests"]["total"] / cpu,
                "p50_e2e_ms": v["latency_ms"]["e2e"]["p50"],
                "errors": v["requests"]["errors"],
            }
        )
    row: dict[str, Any] = {"mode": "ray actors" if ray else "processes", "workers": workers}
    for key in runs[0]:
        row[key] = statistics.median(r[key] for r in runs)
    row["rps_low"] = min(r["rps"] for r in runs)
    row["rps_high"] = max(r["rps"] for r in runs)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    parser.add_argument("--no-ray", action="store_true", help="local processes only")
    parser.add_argument("--target", type=float, default=10_000, help="target requests/s")
    parser.add_argument("--cores-per-node", type=int, default=16)
    parser.add_argument(
        "--utilisation",
        type=float,
        default=0.7,
        help="share of each actor's CPU to plan for (headroom for lag)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="raafperf-scaling-"))
    path = folder / "scaling.yaml"
    path.write_text(
        SCENARIO.format(
            concurrency=args.concurrency,
            requests=args.requests,
            warmup=max(20, args.requests // 20),
        )
    )
    ray_mod = None
    if not args.no_ray:
        try:
            import ray as ray_mod
        except ImportError:
            print("ray is not installed: local processes only (pip install 'raafperf[ray]')")
    rows = []
    for w in args.workers:
        rows.append(run_one(path, folder / f"p{w}", w, ray=False, repeat=args.repeat))
    if ray_mod is not None:
        # One local instance for every Ray run (starting one takes ~10 s).
        ray_mod.init(
            address="local",
            num_cpus=max(max(args.workers), os.cpu_count() or 1),
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
        try:
            for w in args.workers:
                rows.append(run_one(path, folder / f"r{w}", w, ray=True, repeat=args.repeat))
        finally:
            ray_mod.shutdown()

    print(
        f"\nmachine: {os.cpu_count()} CPUs; closed loop, {args.concurrency} users, "
        f"{args.requests} requests (+ warm-up), zero-latency simulator, 16 tokens streamed; "
        f"medians of {args.repeat} runs"
    )
    print(
        f"{'mode':<11} {'workers':>7} {'req/s':>8} {'min-max':>11} {'gen CPU s':>9} "
        f"{'req/CPU-s':>9} {'p50 E2E ms':>10} {'errors':>6}"
    )
    for r in rows:
        span = f"{r['rps_low']:.0f}-{r['rps_high']:.0f}"
        print(
            f"{r['mode']:<11} {r['workers']:>7} {r['rps']:>8.0f} {span:>11} {r['cpu_s']:>9.2f} "
            f"{r['per_cpu_s']:>9.0f} {r['p50_e2e_ms']:>10.2f} {r['errors']:>6.0f}"
        )
    base = {r["mode"]: r["rps"] for r in rows if r["workers"] == min(args.workers)}
    for r in rows:
        if r["workers"] != min(args.workers):
            print(
                f"  {r['mode']}: x{r['rps'] / base[r['mode']]:.2f} requests/s with "
                f"{r['workers']} workers vs {min(args.workers)}"
            )
    per_cpu = max(r["per_cpu_s"] for r in rows)
    per_actor = per_cpu * args.utilisation
    actors = math.ceil(args.target / per_actor)
    per_node = max(1, args.cores_per_node - 1)  # one core for the OS and Ray's own processes
    nodes = math.ceil(actors / per_node)
    print(
        textwrap.dedent(f"""
        extrapolation: one actor (one CPU) generates about {per_cpu:,.0f} requests per CPU-second
        here; planned at {args.utilisation:.0%} of its CPU, {per_actor:,.0f} req/s per actor.
        {args.target:,.0f} req/s needs about {actors} actors = {nodes} node(s) of
        {args.cores_per_node} cores ({per_node} actors each), provided the target itself keeps up.
        Client cost per request grows with streamed tokens (every SSE event is parsed):
        rerun with your scenario's output length before sizing a cluster.""")
    )
    print(f"(runs saved under {folder})")


if __name__ == "__main__":
    main()
