"""The stage breakdown: adds up to e2e, "other" is the remainder, overlaps are not hidden."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from raafperf.profiling.stages import stage_table, summarize_stages

MS = 1_000_000


def _request(idx, e2e, lag=0.0, ok=True, phase="measure", variant="baseline"):
    return {"variant": variant, "idx": idx, "phase": phase, "ok": ok, "e2e_ms": e2e, "lag_ms": lag}


def _model(idx, call_idx, start_ms, stages, variant="baseline"):
    duration = sum(stages.values())
    return {
        "variant": variant,
        "request_idx": idx,
        "call_idx": call_idx,
        "kind": "model",
        "start_ns": int(start_ms * MS),
        "end_ns": int((start_ms + duration) * MS),
        "duration_ms": duration,
        "stages": json.dumps(stages),
    }


def _tool(idx, call_idx, start_ms, end_ms, variant="baseline"):
    return {
        "variant": variant,
        "request_idx": idx,
        "call_idx": call_idx,
        "kind": "tool",
        "start_ns": int(start_ms * MS),
        "end_ns": int(end_ms * MS),
        "duration_ms": end_ms - start_ms,
        "stages": "",
    }


def test_fully_timed_requests_leave_no_other() -> None:
    stages = {
        "cache_lookup": 0.5,
        "routing": 0.25,
        "connection_wait": 1.0,
        "network": 40.0,
        "parsing": 2.0,
    }
    requests = pd.DataFrame([_request(0, 2.0 + 43.75 * 2 + 10.0, lag=2.0), _request(1, 43.75)])
    calls = pd.DataFrame(
        [
            _model(0, 0, 2.0, stages),
            _tool(0, 1, 45.75, 55.75),
            _model(0, 2, 55.75, stages),
            _model(1, 0, 0.0, stages),
        ]
    )
    out = summarize_stages(requests, calls)
    assert out["requests"] == 2
    assert out["stages"]["other"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert sum(s["share"] for s in out["stages"].values()) == pytest.approx(1.0)
    assert sum(s["mean"] for s in out["stages"].values()) == pytest.approx(out["e2e"])
    assert out["stages"]["network"]["mean"] == pytest.approx((80 + 40) / 2)
    assert out["stages"]["tool_execution"]["mean"] == pytest.approx(5.0)
    assert out["stages"]["schedule_wait"]["mean"] == pytest.approx(1.0)
    assert out["groups"]["provider"]["mean"] == pytest.approx(60.0)
    assert out["closure_error_ms"] < 1e-9


def test_other_is_the_untimed_remainder_and_parallel_tools_count_once() -> None:
    requests = pd.DataFrame([_request(0, 100.0)])
    calls = pd.DataFrame(
        [
            _model(0, 0, 0.0, {"network": 50.0}),
            # two tools in parallel, [50, 80) and [60, 90): 40 ms of wall time, not 60
            _tool(0, 1, 50.0, 80.0),
            _tool(0, 2, 60.0, 90.0),
        ]
    )
    table = stage_table(requests, calls)
    row = table.iloc[0]
    assert row["tool_execution"] == pytest.approx(40.0)
    assert row["other"] == pytest.approx(10.0)
    stage_sum = table.drop(columns=["e2e_ms"]).sum(axis=1).iloc[0]
    assert stage_sum == pytest.approx(row["e2e_ms"])


def test_warmup_failed_and_other_variants_are_left_out() -> None:
    requests = pd.DataFrame(
        [
            _request(0, 10.0),
            _request(1, 999.0, phase="warmup"),
            _request(2, 999.0, ok=False),
            _request(0, 777.0, variant="other"),
        ]
    )
    calls = pd.DataFrame(
        [_model(0, 0, 0.0, {"network": 10.0}), _model(0, 0, 0.0, {"network": 1.0}, variant="other")]
    )
    out = summarize_stages(requests, calls, variant="baseline")
    assert out["requests"] == 1
    assert out["e2e"] == pytest.approx(10.0)
    assert out["stages"]["network"]["mean"] == pytest.approx(10.0)


def test_overlapping_stages_show_as_negative_other() -> None:
    requests = pd.DataFrame([_request(0, 10.0)])
    calls = pd.DataFrame([_model(0, 0, 0.0, {"network": 12.0})])
    out = summarize_stages(requests, calls)
    assert out["other_ms"]["negative_requests"] == 1
    assert out["stages"]["other"]["mean"] == pytest.approx(-2.0)


def test_request_level_stages_and_no_calls() -> None:
    requests = pd.DataFrame([_request(0, 10.0) | {"agent_wait_ms": 4.0}])
    out = summarize_stages(requests, pd.DataFrame())
    assert out["stages"]["agent_wait"]["mean"] == pytest.approx(4.0)
    assert out["stages"]["other"]["mean"] == pytest.approx(6.0)
    assert summarize_stages(requests.iloc[0:0], pd.DataFrame())["requests"] == 0
