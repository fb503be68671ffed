"""Runs on a local Ray instance (started once for this module): the same report as local
workers, an actor killed mid-run, a Redis cache shared by actors, the CLI."""

from __future__ import annotations

import itertools
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed_helpers import only_hits
from distributed_testkit import QUICKSTART

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.engine.merge import loss_lines
from raafperf.engine.overrides import apply_cli_overrides
from raafperf.engine.rendezvous import estimate_offset
from raafperf.scenario.loader import load_scenario

ray = pytest.importorskip(
    "ray", reason="ray is not installed (an optional extra: pip install 'raafperf[ray]')"
)


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    """One local Ray instance for the module (starting one takes ~10 s)."""
    ray.init(
        address="local",
        num_cpus=4,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        yield ray
    finally:
        ray.shutdown()


def _quickstart(requests: int) -> Any:
    return apply_cli_overrides(load_scenario(QUICKSTART), requests=requests)


def test_two_actors_report_what_two_local_workers_report(tmp_path: Path, ray_instance: Any) -> None:
    on_ray = run_bench(
        _quickstart(100), BenchOptions(run_dir=tmp_path / "ray", workers=2, ray="local")
    )
    local = run_bench(_quickstart(100), BenchOptions(run_dir=tmp_path / "local", workers=2))
    r, lo = on_ray.summary["variants"]["baseline"], local.summary["variants"]["baseline"]
    assert (
        r["requests"]
        == lo["requests"]
        == {"total": 120, "measured": 100, "ok": 100, "errors": 0, "warmup": 20}
    )
    for metric in ("ttft", "e2e"):
        for p in ("p50", "p90"):
            ratio = r["latency_ms"][metric][p] / lo["latency_ms"][metric][p]
            assert 0.7 < ratio < 1.4, (metric, p, r["latency_ms"][metric], lo["latency_ms"])
    # Rows are on the run's timeline (the driver's clock): a throughput, not nonsense.
    ratio = r["throughput"]["requests_per_s"] / lo["throughput"]["requests_per_s"]
    assert 0.5 < ratio < 2.0
    assert r["workers"] == {"count": 2, "backend": "ray", "lost": []}
    cluster = on_ray.summary["cluster"]
    assert cluster["backend"] == "ray" and cluster["node_count"] == 1 and cluster["cpus"] >= 2
    assert [a["worker"] for a in cluster["actors"]] == [0, 1]
    for actor in cluster["actors"]:
        assert actor["status"] == "ok" and actor["requests"] == 60
        assert actor["node_id"] == cluster["nodes"][0]["node_id"] and actor["pid"] > 0
        assert actor["same_clock"] is True
    assert len({a["pid"] for a in cluster["actors"]}) == 2
    requests = pd.read_parquet(on_ray.run_dir / "requests.parquet")
    assert requests["idx"].is_unique and set(requests["worker"]) == {0, 1}
    assert on_ray.summary["workers"] == 2


def test_open_loop_actors_start_together_and_interleave_into_one_stream(
    tmp_path: Path, ray_instance: Any
) -> None:
    loaded = apply_cli_overrides(
        load_scenario(QUICKSTART), rate=10, requests=30, warmup=0, arrival="constant"
    )
    outcome = run_bench(loaded, BenchOptions(run_dir=tmp_path / "run", workers=2, ray="local"))
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet").sort_values("intended_ns")
    assert len(requests) == 30 and set(requests["worker"]) == {0, 1}
    # 10/s in all: each actor 5/s, actor 1 shifted half a gap, so together one arrival every
    # 100 ms, alternating — only if both started at the same instant on one timeline.
    gaps_ms = requests["intended_ns"].diff().dropna() / 1e6
    assert 80 < gaps_ms.median() < 120, gaps_ms.describe()
    workers = requests["worker"].tolist()
    alternating = sum(a != b for a, b in itertools.pairwise(workers))
    assert alternating >= 0.9 * (len(workers) - 1), workers
    first = requests.groupby("worker")["intended_ns"].min() / 1e6
    assert abs(first[1] - first[0] - 100) < 40, first


def test_a_killed_actor_is_named_with_its_share_and_what_it_sent(
    tmp_path: Path, ray_instance: Any
) -> None:
    killed: dict[str, Any] = {}

    def kill_actor_1(progress: dict[str, Any]) -> None:
        # Past the first of three segments (70 rows), actor 1 is killed.
        if progress["done"] >= 80 and not killed:
            name = next(n for n in ray.util.list_named_actors() if n.endswith("-worker-1"))
            ray.kill(ray.get_actor(name), no_restart=True)
            killed["name"] = name

    outcome = run_bench(
        _quickstart(150),
        BenchOptions(
            run_dir=tmp_path / "run", workers=2, rounds=3, ray="local", on_progress=kill_actor_1
        ),
    )
    assert killed, "the run ended before actor 1 could be killed"
    summary = outcome.summary
    (lost,) = summary["variants"]["baseline"]["workers"]["lost"]
    assert lost["worker"] == 1 and lost["actor"] == killed["name"]
    assert "ActorDied" in lost["reason"] or "died" in lost["reason"].lower()
    planned = lost["planned"]["requests"]
    assert planned == 85  # 10 warm-up + 25 in each of 3 rounds
    received = lost["received"]["requests"]
    assert 35 <= received < planned  # its first segment arrived before it died
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    assert (requests["worker"] == 0).sum() == 85, "the survivor ran its whole share"
    assert (requests["worker"] == 1).sum() == received
    actors = summary["cluster"]["actors"]
    assert actors[1]["status"] == "failed" and actors[0]["status"] == "ok"
    (line,) = loss_lines(summary)
    assert killed["name"] in line and f"of its {planned} planned requests" in line


def test_clock_offset_to_a_coordinator_on_this_machine_is_within_its_round_trip(
    ray_instance: Any,
) -> None:
    from raafperf.engine.ray_actors import Coordinator

    coordinator = Coordinator.remote(1)
    try:
        samples = []
        for _ in range(8):
            send = time.perf_counter_ns()
            remote = ray.get(coordinator.now.remote())
            samples.append((send, remote, time.perf_counter_ns()))
        offset, rtt = estimate_offset(samples)
        # One machine, one monotonic clock: the true offset is 0.
        assert abs(offset) <= rtt / 2 + 1_000
    finally:
        ray.kill(coordinator)


def test_cli_on_a_running_ray_instance_actors_share_hits_through_redis(
    tmp_path: Path, ray_instance: Any, shared_cache_scenario: Callable[[str], Path]
) -> None:
    address = ray.get_runtime_context().gcs_address
    path = shared_cache_scenario(f"t{uuid.uuid4().hex[:10]}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "raafperf",
            "bench",
            str(path),
            "--workers",
            "2",
            "--ray",
            address,
            "--json",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "160"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["cluster"]["address"] == address
    assert [a["status"] for a in summary["cluster"]["actors"]] == ["ok", "ok"]
    requests = pd.read_parquet(Path(summary["run_dir"]) / "requests.parquet")
    assert set(requests["worker"]) == {0, 1} and len(requests) == 80
    # Two actors, two processes: a query one actor never missed was answered from an entry
    # the other stored in Redis, as in a real fleet.
    assert only_hits(requests), requests.groupby(["worker", "query"])["cache"].agg(list)
