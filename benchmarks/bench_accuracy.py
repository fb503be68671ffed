"""Timing error of raafperf's measurements against the simulator's ground-truth log.

True TTFT 50 ms and inter-token gap 10 ms; at 10, 100 and 1,000 concurrent streams (closed
loop), prints the reported TTFT/ITL p50 next to the ground truth (what the simulator did,
timestamped when it read each request and wrote each token), then, joined per request by its
id (``--workers 1`` only), where the rest of the error comes from:

  overhead    client_overhead_ms: the client's own time from a request's start to its socket
              write (left out of closed-loop TTFT)
  start→sent  the same, raw, from the model call's start
  sent→sim    our socket write → the simulator reading the request (kernel + its loop)
  recv        the simulator writing the first token → our first-token stamp
  err         per-request reported TTFT − true TTFT (p50 / p99)
  old         what TTFT p50 would read measured from the request's start (the old origin)

    python benchmarks/bench_accuracy.py [--levels 10,100,1000] [--requests-per-stream 4]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any


def _p(values: Any, q: float) -> float:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.percentile(arr, q, method="inverted_cdf")) if arr.size else float("nan")


def run_level(tmp: Path, streams: int, per_stream: int, workers: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.scenario.loader import load_scenario

    path = tmp / f"acc-{streams}.yaml"
    path.write_text(
        textwrap.dedent(f"""\
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
        """)
    )
    outcome = run_bench(
        load_scenario(path), BenchOptions(out_root=tmp, workers=workers, ground_truth=True)
    )
    v = outcome.summary["variants"]["baseline"]
    lat = v["latency_ms"]
    t0 = outcome.summary["clock"]["t0_perf_ns"]
    gt = pd.DataFrame(
        json.loads(line)
        for line in (outcome.run_dir / "groundtruth" / "sim.groundtruth.jsonl").open()
    )
    gt = gt[gt["token_ns"].str.len() > 0].set_index("request_id")
    gt["true_ttft"] = (gt["token_ns"].str[0] - gt["arrived_ns"]) / 1e6
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    calls = pd.read_parquet(outcome.run_dir / "calls.parquet")
    measured = requests[requests["phase"] == "measure"]
    ids = set(measured["idx"])
    gt_measured = gt.loc[gt.index.isin({f"baseline-0-{i}" for i in ids})] if workers == 1 else gt
    gaps = np.concatenate([np.diff(np.asarray(t)) / 1e6 for t in gt_measured["token_ns"]])
    out: dict[str, float] = {
        "streams": streams,
        "reported_ttft_p50": lat["ttft"]["p50"],
        "true_ttft_p50": _p(gt_measured["true_ttft"], 50),
        "reported_itl_p50": lat["itl"]["p50"],
        "true_itl_p50": _p(gaps, 50),
        "overhead_p50": _p(measured["client_overhead_ms"], 50),
        "overhead_p99": _p(measured["client_overhead_ms"], 99),
        "loop_lag_p99": v["generator"]["event_loop_lag_ms"].get("p99") or 0.0,
    }
    if workers != 1:
        return out
    first = calls[
        (calls["kind"] == "model") & (calls["call_idx"] == 0) & calls["request_idx"].isin(ids)
    ].set_index("request_idx")
    req = measured.set_index("idx").join(
        first[["start_ns", "sent_ns"]].rename(columns={"start_ns": "call_start_ns"})
    )
    req.index = [f"baseline-0-{i}" for i in req.index]
    req = req.join(gt[["arrived_ns", "token_ns", "true_ttft"]], how="inner")
    sent_abs = req["sent_ns"].astype(float) + t0
    first_abs = req["first_token_ns"].astype(float) + t0
    out.update(
        start_sent_p50=_p((req["sent_ns"] - req["call_start_ns"]) / 1e6, 50),
        sent_sim_p50=_p((req["arrived_ns"] - sent_abs) / 1e6, 50),
        sent_sim_p99=_p((req["arrived_ns"] - sent_abs) / 1e6, 99),
        recv_p50=_p((first_abs - req["token_ns"].str[0]) / 1e6, 50),
        recv_p99=_p((first_abs - req["token_ns"].str[0]) / 1e6, 99),
        err_p50=_p(req["ttft_ms"] - req["true_ttft"], 50),
        err_p99=_p(req["ttft_ms"] - req["true_ttft"], 99),
        old_ttft_p50=_p((req["first_token_ns"] - req["start_ns"]) / 1e6, 50),
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,100,1000")
    parser.add_argument("--requests-per-stream", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(
        f"true TTFT 50 ms, true gap 10 ms, 16 tokens; ms, nearest rank; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'streams':>7}{'TTFT rep.':>10}{'true':>7}{'error':>7}{'ITL rep.':>9}{'true':>7}"
        f"{'error':>7} | {'overhead p50/p99':>16}{'start→sent':>11}{'sent→sim p50/99':>16}"
        f"{'recv p50/99':>15}{'err p50/99':>15}{'old':>7}{'lag99':>7}"
    )
    with tempfile.TemporaryDirectory() as d:
        for level in (int(x) for x in args.levels.split(",")):
            r = run_level(Path(d), level, args.requests_per_stream, args.workers)
            g = r.get
            nan = float("nan")
            print(
                f"{level:>7}{r['reported_ttft_p50']:>10.2f}{r['true_ttft_p50']:>7.2f}"
                f"{r['reported_ttft_p50'] - r['true_ttft_p50']:>7.2f}"
                f"{r['reported_itl_p50']:>9.2f}{r['true_itl_p50']:>7.2f}"
                f"{r['reported_itl_p50'] - r['true_itl_p50']:>7.2f} | "
                f"{r['overhead_p50']:>7.2f}/{r['overhead_p99']:<8.2f}"
                f"{g('start_sent_p50', nan):>11.2f}"
                f"{g('sent_sim_p50', nan):>8.2f}/{g('sent_sim_p99', nan):<7.2f}"
                f"{g('recv_p50', nan):>7.2f}/{g('recv_p99', nan):<7.2f}"
                f"{g('err_p50', nan):>7.2f}/{g('err_p99', nan):<7.2f}"
                f"{g('old_ttft_p50', nan):>7.2f}{r['loop_lag_p99']:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
