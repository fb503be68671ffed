"""Local worker processes: a shared Redis cache across workers, and a worker killed mid-run."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from distributed_helpers import only_hits
from distributed_testkit import QUICKSTART

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.engine.merge import loss_lines
from raafperf.engine.overrides import apply_cli_overrides
from raafperf.scenario.loader import load_scenario


def test_two_worker_processes_share_hits_through_redis(
    tmp_path: Path, shared_cache_scenario: Callable[[str], Path]
) -> None:
    path = shared_cache_scenario(f"t{uuid.uuid4().hex[:10]}")
    outcome = run_bench(load_scenario(path), BenchOptions(run_dir=tmp_path / "run", workers=2))
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    assert set(requests["worker"]) == {0, 1} and len(requests) == 80
    # Each worker has its own process and connections: a query it never missed was
    # answered from an entry the other worker stored in Redis.
    assert only_hits(requests), requests.groupby(["worker", "query"])["cache"].agg(list)
    cache = outcome.summary["variants"]["baseline"]["cache"]
    assert cache["hits"] == int((requests["cache"] == "hit").sum())


def test_a_killed_worker_process_is_reported_with_what_it_sent(tmp_path: Path) -> None:
    loaded = apply_cli_overrides(load_scenario(QUICKSTART), requests=150)
    killed: dict[str, Any] = {}

    def kill_worker_1(progress: dict[str, Any]) -> None:
        # Past the first of three segments (70 rows), worker 1 dies as if OOM-killed.
        if progress["done"] >= 80 and not killed:
            for child in multiprocessing.active_children():
                if child.name == "raafperf-worker-1":
                    child.kill()
                    killed["pid"] = child.pid

    outcome = run_bench(
        loaded,
        BenchOptions(run_dir=tmp_path / "run", workers=2, rounds=3, on_progress=kill_worker_1),
    )
    assert killed, "the run ended before worker 1 could be killed"
    summary = outcome.summary
    (lost,) = summary["variants"]["baseline"]["workers"]["lost"]
    assert lost["worker"] == 1 and "code -9" in lost["reason"]
    planned = lost["planned"]["requests"]
    assert planned == 85  # 10 warm-up + 25 in each of 3 rounds
    received = lost["received"]["requests"]
    # Its first segment arrived (35 rows) before it died; what it did later in the segment
    # it died in is lost, and said to be.
    assert 35 <= received < planned
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    assert (requests["worker"] == 0).sum() == 85
    assert (requests["worker"] == 1).sum() == received
    assert summary["variants"]["baseline"]["requests"]["total"] == 85 + received
    (line,) = loss_lines(summary)
    assert "worker 1" in line and f"of its {planned} planned requests" in line
