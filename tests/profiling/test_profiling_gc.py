"""GC monitoring and tuning: real collections, exact overlap arithmetic, restored state."""

from __future__ import annotations

import gc

import pytest

from raafperf.profiling.gc_monitor import GcMonitor, overlap_with_requests, summarize_gc
from raafperf.profiling.gc_run import GcRun
from raafperf.profiling.gc_tuning import GC_PRESETS, GcTuning


def _churn(n: int = 60_000) -> None:
    """Container allocations that survive a while, as request handling makes them."""
    keep = []
    for i in range(n):
        node: dict = {"i": i, "children": []}
        node["children"].append(node)  # a cycle: only the collector frees it
        keep.append(node)
        if len(keep) > 500:
            keep.clear()


def test_monitor_counts_each_generation_and_stops_cleanly() -> None:
    mon = GcMonitor()
    with mon:
        gc.collect(0)
        gc.collect(1)
        gc.collect(2)
    assert mon._on_gc not in gc.callbacks
    s = mon.summary()
    for g in ("gen0", "gen1", "gen2"):
        assert s["collections"][g] >= 1
    assert s["collections"]["total"] == sum(s["collections"][f"gen{g}"] for g in range(3))
    assert s["pause_ms"]["max"] > 0
    assert s["pause_ms"]["total"] >= s["pause_ms"]["max"]
    assert s["pause_ms"]["by_generation"]["gen2"]["max"] > 0
    assert 0 < s["pause_share"] < 1
    starts, durations, gens = mon.pauses()
    assert len(starts) == len(durations) == len(gens) == s["collections"]["total"]
    assert list(starts) == sorted(starts)
    gc.collect()
    assert mon.summary()["collections"]["total"] == s["collections"]["total"]


def test_reset_forgets_warmup_collections() -> None:
    mon = GcMonitor()
    mon.start()
    try:
        gc.collect()
        mon.discard_since_start()
        assert mon.collections == 0
        gc.collect(0)
        assert mon.summary()["collections"]["gen0"] >= 1
    finally:
        mon.stop()


def test_overlap_with_requests_is_exact() -> None:
    # pauses: [10,20) [50,55) [100,130)
    pauses = [10, 50, 100]
    durations = [10, 5, 30]
    # requests: A [0,15) overlaps 5 of pause 1; B [12,60) overlaps 8 + 5; C [60,90) none;
    # D [105,200) overlaps 25 of pause 3; E [0,200) overlaps all 45.
    starts = [0, 12, 60, 105, 0]
    ends = [15, 60, 90, 200, 200]
    out = overlap_with_requests(pauses, durations, starts, ends)
    assert out["requests"] == 5
    assert out["pauses"] == 3
    assert out["pause_ms"] == pytest.approx(45 / 1e6)
    # in flight per pause: 3 (A,B,E), 2 (B,E), 2 (D,E)
    assert out["request_pauses"] == 7
    assert out["requests_affected"] == 4
    assert out["requests_affected_share"] == pytest.approx(0.8)
    per = [5, 13, 0, 25, 45]
    assert out["gc_ms_per_request"]["mean"] == pytest.approx(sum(per) / 5 / 1e6)
    assert out["gc_ms_per_request"]["max"] == pytest.approx(45 / 1e6)


def test_overlap_with_offset_and_no_pauses() -> None:
    out = overlap_with_requests([1_010], [5], [0], [100], offset_ns=1_000)
    assert out["requests_affected"] == 1 and out["gc_ms_per_request"]["max"] == 5 / 1e6
    empty = overlap_with_requests([], [], [0, 1], [2, 3])
    assert empty["pauses"] == 0 and empty["requests_affected"] == 0


def test_monitor_summary_with_request_windows_counts_real_pauses() -> None:
    import time

    mon = GcMonitor()
    with mon:
        t0 = time.perf_counter_ns()
        gc.collect()
        t1 = time.perf_counter_ns()
    s = mon.summary([t0], [t1])
    assert s["during_requests"]["requests_affected"] == 1
    assert s["during_requests"]["pauses"] >= 1
    outside = mon.summary([t1 + 1], [t1 + 2])
    assert outside["during_requests"]["requests_affected"] == 0


def test_tuning_applies_and_restores() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    tuning = GcTuning("throughput")
    tuning.apply()
    try:
        assert gc.get_threshold() == GC_PRESETS["throughput"].thresholds
        tuning.after_warmup()
        assert gc.get_freeze_count() > frozen_before
        assert tuning.describe()["frozen_objects"] > 0
    finally:
        tuning.restore()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_default_mode_changes_nothing_and_unknown_mode_is_refused() -> None:
    before = gc.get_threshold()
    with GcTuning("default") as t:
        t.after_warmup()
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError, match="unknown gc mode"):
        GcTuning("fast")


def test_throughput_mode_collects_less_than_default() -> None:
    counts = {}
    for mode in ("default", "throughput", "memory"):
        run = GcRun(mode)
        run.start()
        try:
            run.warmup_done()
            _churn()
        finally:
            run.stop()
        summary = run.summary()
        assert summary["mode"] == mode
        counts[mode] = summary["collections"]["total"]
    assert counts["throughput"] * 10 < counts["default"] < counts["memory"]


def test_segments_accumulate_and_warmup_pauses_are_dropped() -> None:
    run = GcRun("balanced")
    for _ in range(2):
        run.start()
        try:
            gc.collect()  # warm-up: not counted
            run.warmup_done()
            gc.collect(0)
            gc.collect(2)
        finally:
            run.stop()
    s = run.summary()
    assert s["collections"]["total"] == 4
    assert s["collections"]["gen2"] == 2
    assert s["frozen_objects"] > 0 and s["thresholds"] == [10_000, 15, 20]
    assert gc.get_freeze_count() == 0


def test_workers_raw_pauses_merge_and_meet_their_own_requests() -> None:
    import time

    import pandas as pd

    from raafperf.engine.merge import merge_stats

    t0 = time.perf_counter_ns()
    raws, spans = [], []
    for worker in (0, 1):
        run = GcRun("latency")
        run.start()
        run.warmup_done()
        start = time.perf_counter_ns()
        gc.collect(0)
        spans.append((start, time.perf_counter_ns()))
        run.stop()
        raws.append(run.raw(worker))
    rows = pd.DataFrame(
        [
            # worker 0's request spans both pauses, but worker 1's ran in another process
            {"worker": 0, "start_ns": spans[0][0] - t0, "end_ns": spans[1][1] + 1 - t0},
            # worker 1's request starts after its pause
            {"worker": 1, "start_ns": spans[1][1] + 1 - t0, "end_ns": spans[1][1] + 2 - t0},
        ]
    )
    merged = merge_stats(raws)  # the engine's generic merge of worker stats
    out = summarize_gc(merged, rows, t0_ns=t0)
    assert out["mode"] == "latency" and out["thresholds"] == [1_500, 20, 100]
    assert out["processes"] == 2
    assert out["collections"]["gen0"] == 2
    assert out["frozen_objects"] == raws[0]["frozen_objects"] + raws[1]["frozen_objects"]
    during = out["during_requests"]
    assert during["requests"] == 2
    assert during["requests_affected"] == 1
    assert during["pauses"] == 1 and during["request_pauses"] == 1
    assert summarize_gc(raws[1])["collections"]["total"] == 1
