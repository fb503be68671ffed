"""Timing error of raafperf's measurements against the simulator's ground-truth log.

True TTFT 50 ms and inter-token gap 10 ms; at 10, 100 and 1,000 concurrent streams, prints
the reported TTFT/ITL p50 next to the ground truth (what the simulator did, timestamped
when it wrote each token) and the per-request error (client TTFT − true TTFT).

    python benchmarks/bench_accuracy.py [--levels 10,100,1000] [--requests-per-stream 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import textwrap
from pathlib import Path


def run_level(tmp: Path, streams: int, per_stream: int, workers: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.scenario.loader import load_scenario

    path = tmp / f"acc-{streams}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: accuracy
        providers:
          - name: sim
            kind: simulated
            models: [m]
            simulator: {{latency: {{ttft_ms: 50, itl_ms: 10, output_tokens: 16}}}}
            client: {{max_connections: {streams + 10}, max_keepalive_connections: {streams + 10}}}
        agents: [{{name: a, model: m}}]
        queries: [{{agent: a, texts: ["how accurate is this?"]}}]
        load: {{mode: closed, concurrency: {streams}, requests: {streams * per_stream},
               warmup: {streams}}}
        """))
    outcome = run_bench(load_scenario(path), BenchOptions(out_root=tmp, workers=workers,
                                                          ground_truth=True))
    lat = outcome.summary["variants"]["baseline"]["latency_ms"]
    gt = pd.DataFrame(json.loads(line) for line in
                      (outcome.run_dir / "groundtruth" / "sim.groundtruth.jsonl").open())
    gt = gt[gt["token_ns"].str.len() > 0]
    true_ttft = (gt["token_ns"].str[0] - gt["arrived_ns"]) / 1e6
    gaps = np.concatenate([np.diff(np.asarray(t)) / 1e6 for t in gt["token_ns"]])
    calls = pd.read_parquet(outcome.run_dir / "calls.parquet")
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    measured = set(requests.loc[requests["phase"] == "measure", "idx"])
    calls = calls[calls["request_idx"].isin(measured) & (calls["kind"] == "model")]
    return {
        "streams": streams,
        "reported_ttft_p50": lat["ttft"]["p50"],
        "true_ttft_p50": float(np.percentile(true_ttft, 50, method="inverted_cdf")),
        "reported_itl_p50": lat["itl"]["p50"],
        "true_itl_p50": float(np.percentile(gaps, 50, method="inverted_cdf")),
        "client_call_ttft_p50": float(np.percentile(calls["ttft_ms"], 50,
                                                    method="inverted_cdf")),
        "loop_lag_p99": outcome.summary["variants"]["baseline"]["generator"][
            "event_loop_lag_ms"].get("p99") or 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,100,1000")
    parser.add_argument("--requests-per-stream", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print("true TTFT 50 ms, true gap 10 ms, 16 tokens; figures in ms (p50, nearest rank)")
    print(f"{'streams':>8}{'TTFT rep.':>11}{'TTFT true':>11}{'error':>8}"
          f"{'ITL rep.':>10}{'ITL true':>10}{'error':>8}{'loop lag p99':>14}")
    with tempfile.TemporaryDirectory() as d:
        for level in (int(x) for x in args.levels.split(",")):
            r = run_level(Path(d), level, args.requests_per_stream, args.workers)
            print(f"{level:>8}{r['reported_ttft_p50']:>11.2f}{r['true_ttft_p50']:>11.2f}"
                  f"{r['reported_ttft_p50'] - r['true_ttft_p50']:>8.2f}"
                  f"{r['reported_itl_p50']:>10.2f}{r['true_itl_p50']:>10.2f}"
                  f"{r['reported_itl_p50'] - r['true_itl_p50']:>8.2f}{r['loop_lag_p99']:>14.2f}")


if __name__ == "__main__":
    main()
