"""`scenarios/failover.yaml` under `raafperf bench`: an outage of the primary mid-run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_outage_opens_the_breaker_moves_traffic_and_returns(tmp_path: Path) -> None:
    loaded = load_scenario(ROOT / "scenarios" / "failover.yaml")
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=1, variant="baseline"))
    v = outcome.summary["variants"]["baseline"]
    router = v["router"]
    # No request is lost: every one ends as a success or a counted error.
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    assert len(requests) == v["requests"]["total"]
    assert v["requests"]["ok"] + v["requests"]["errors"] == v["requests"]["measured"]
    # The primary's breaker opened during the outage and closed after it.
    changes = [(e["provider"], e["from"], e["to"]) for e in router["timeline"]]
    assert ("fast", "closed", "open") in changes
    assert ("fast", "half_open", "closed") in changes
    opened = next(e["t_s"] for e in router["timeline"] if e["to"] == "open")
    closed = next(e["t_s"] for e in router["timeline"] if e["to"] == "closed")
    assert closed > opened
    # Traffic went to the others meanwhile, and back to the primary afterwards.
    traffic = router["providers"]["fast"]["traffic"]
    during = traffic[int(opened) + 1 : int(closed)]
    assert during and max(during) < max(traffic) / 4
    assert traffic[-1] > max(traffic) / 2
    backups = router["providers"]["flaky"]["requests"] + router["providers"]["slow"]["requests"]
    assert backups > 0
