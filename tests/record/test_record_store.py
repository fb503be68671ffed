"""Recorder and run store: rows go in as recorded and come back from disk unchanged."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from raafperf.client.types import CallResult
from raafperf.errors import RunStoreError
from raafperf.record.recorder import Recorder, ToolTiming
from raafperf.record.store import load_run, new_run_dir, write_summary, write_table


def make_call(t: int, *, tokens: int = 4, ok: bool = True) -> CallResult:
    token_ns = [t + 100_000_000 + k * 10_000_000 for k in range(tokens)] if ok else []
    return CallResult(
        ok=ok,
        provider="sim",
        model="gpt-4o-mini",
        start_ns=t,
        end_ns=(token_ns[-1] if token_ns else t + 5_000_000),
        first_token_ns=token_ns[0] if token_ns else None,
        token_ns=token_ns,
        prompt_tokens=12,
        completion_tokens=tokens if ok else None,
        usage_reported=ok,
        error_kind=None if ok else "http_503",
        status=200 if ok else 503,
        stages_ns={"network": 1_000_000},
    )


def test_request_metrics_follow_the_field_definitions() -> None:
    t0 = time.perf_counter_ns()
    rec = Recorder(t0)
    call = make_call(t0 + 1_000_000)
    tool = ToolTiming(name="lookup", start_ns=call.end_ns, end_ns=call.end_ns + 2_000_000, ok=True)
    rec.record(
        variant="baseline",
        idx=0,
        phase="measure",
        worker=0,
        agent="a",
        query=3,
        intended_ns=t0,
        start_ns=t0 + 1_000_000,
        end_ns=tool.end_ns,
        calls=[call],
        tools=[tool],
        ok=True,
        error_kind=None,
        turns=1,
    )
    r = rec.requests
    # TTFT and E2E from the intended start; TPOT excludes the first token.
    assert r.floats["ttft_ms"][0] == pytest.approx(101.0)
    e2e = (tool.end_ns - t0) / 1e6
    assert r.floats["e2e_ms"][0] == pytest.approx(e2e)
    assert r.floats["tpot_ms"][0] == pytest.approx((e2e - 101.0) / 3)
    assert r.floats["lag_ms"][0] == pytest.approx(1.0)
    assert r.floats["tool_ms"][0] == pytest.approx(2.0)
    assert len(rec.calls) == 2
    assert rec.calls.lists["itl_ms"][0] == pytest.approx([10.0, 10.0, 10.0])
    assert rec.calls.strs["kind"] == ["model", "tool"]


def test_failed_request_has_no_ttft(tmp_path: Path) -> None:
    t0 = time.perf_counter_ns()
    rec = Recorder(t0)
    call = make_call(t0, ok=False)
    rec.record(
        variant="baseline",
        idx=0,
        phase="measure",
        worker=0,
        agent="a",
        query=0,
        intended_ns=t0,
        start_ns=t0,
        end_ns=call.end_ns,
        calls=[call],
        tools=[],
        ok=False,
        error_kind="http_503",
        turns=1,
    )
    assert math.isnan(rec.requests.floats["ttft_ms"][0])
    write_table(tmp_path / "requests.parquet", rec.requests)
    write_table(tmp_path / "calls.parquet", rec.calls)
    write_summary(tmp_path, {"schema_version": 1, "run_id": "x", "value": float("nan")})
    saved = load_run(tmp_path / "summary.json")
    df = saved.requests()
    assert df.loc[0, "error_kind"] == "http_503"
    assert df["first_token_ns"].isna().all()
    assert json.loads((tmp_path / "summary.json").read_text())["value"] is None
    assert saved.calls().loc[0, "attempt_errors"] == ""


def test_run_dirs_are_unique(tmp_path: Path) -> None:
    a = new_run_dir(tmp_path, "s")
    b = new_run_dir(tmp_path, "s")
    assert a != b and a.name.startswith("s-") and b.is_dir()


def test_loading_a_missing_or_foreign_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="no such run"):
        load_run(tmp_path / "nope")
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(RunStoreError, match="not a raafperf summary"):
        load_run(tmp_path)


def test_spilled_parts_join_into_the_same_samples(tmp_path: Path) -> None:
    from raafperf.record.spill import Spill

    t0 = time.perf_counter_ns()
    rec = Recorder(t0, spill=Spill(tmp_path / "parts", rows=7))
    for i in range(50):
        call = make_call(t0 + i)
        rec.record(
            variant="baseline",
            idx=i,
            phase="measure",
            worker=0,
            agent=f"a{i % 3}",
            query=0,
            intended_ns=t0,
            start_ns=t0,
            end_ns=call.end_ns,
            calls=[call],
            tools=[],
            ok=True,
            error_kind=None,
            turns=1,
        )
    assert len(rec.requests) < 7  # the rest went to the writer thread
    rec.spill.finish(
        rec.requests, rec.calls, tmp_path / "requests.parquet", tmp_path / "calls.parquet"
    )
    write_summary(tmp_path, {"schema_version": 1})
    saved = load_run(tmp_path)
    assert saved.requests()["idx"].tolist() == list(range(50))
    assert saved.requests()["agent"].tolist()[:4] == ["a0", "a1", "a2", "a0"]
    assert saved.calls()["itl_ms"].iloc[0].tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert not (tmp_path / "parts").exists()
