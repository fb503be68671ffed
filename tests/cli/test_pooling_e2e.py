"""`raafperf bench scenarios/pooling.yaml`: pool on against pool off on one workload."""

from __future__ import annotations

from pathlib import Path

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.engine.overrides import apply_cli_overrides
from raafperf.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_pooling_comparison_shows_the_connection_cost(tmp_path: Path) -> None:
    loaded = apply_cli_overrides(load_scenario(ROOT / "scenarios" / "pooling.yaml"), requests=96)
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=1, rounds=2))
    pooled = outcome.summary["variants"]["baseline"]
    fresh = outcome.summary["variants"]["pool_off"]
    # One connection per user when pooled, one per request (warm-up included) when not.
    assert pooled["pool"]["sim"]["connections_opened"] == 8
    assert fresh["pool"]["sim"]["connections_opened"] == fresh["requests"]["total"]
    # Every request that had to open a connection paid ~200 ms more (generous for CI noise).
    share = 1 - 8 / pooled["requests"]["total"]
    diff = fresh["latency_ms"]["e2e"]["mean"] - pooled["latency_ms"]["e2e"]["mean"]
    assert 0.6 * 200 * share < diff < 1.6 * 200 * share + 50
    assert fresh["client"]["cpu_per_request_ms"] > pooled["client"]["cpu_per_request_ms"]
