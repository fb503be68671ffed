"""A scenario with every fault kind runs to completion; its error counts match what the
simulator's ground-truth log says it did."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]

# What each injected fault must be reported as (no retries, no fallback, breaker off).
EXPECTED = {
    "http_429": "http_429",
    "http_500": "http_500",
    "http_503": "http_503",
    "http_529": "http_529",
    "reset_before": "connection_reset",
    "reset_mid_stream": "stream_broken",
    "cut_stream": "stream_cut",
    "malformed_event": "malformed_event",
    "hang": "timeout_read",
    "slow_headers": "",
}


def test_fault_counts_agree_with_the_ground_truth(tmp_path: Path) -> None:
    loaded = load_scenario(ROOT / "scenarios" / "faults.yaml")
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=1, ground_truth=True))
    v = outcome.summary["variants"]["baseline"]
    assert v["requests"]["measured"] == 300  # the run completed

    gt = pd.DataFrame(
        json.loads(line)
        for line in (outcome.run_dir / "groundtruth" / "sim.groundtruth.jsonl").open()
    )
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    requests["rid"] = "baseline-0-" + requests["idx"].astype(str)
    joined = requests.merge(gt, left_on="rid", right_on="request_id", how="left")

    seen = joined[joined["request_id"].notna()]
    for fault, kind in EXPECTED.items():
        rows = seen[seen["fault"] == fault]
        assert (rows["error_kind"] == kind).all(), (fault, rows["error_kind"].value_counts())
    assert (seen.loc[seen["fault"].isna(), "error_kind"] == "").all()
    faults_seen = set(seen["fault"].dropna())
    assert {
        "http_429",
        "http_500",
        "http_503",
        "http_529",
        "reset_before",
        "reset_mid_stream",
        "cut_stream",
        "malformed_event",
    } <= faults_seen

    # A request the simulator never saw was sent on a connection it had just closed after a
    # faulty answer: it is counted as a connection error, never lost or called a success.
    unseen = joined[joined["request_id"].isna()]
    assert set(unseen["error_kind"]) <= {"connection_reset", "connect_error"}

    # The summary's counts are the samples' counts.
    by_kind = requests.loc[~requests["ok"], "error_kind"].value_counts().to_dict()
    assert v["errors"]["by_kind"] == by_kind
