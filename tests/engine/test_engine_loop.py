"""The load loop with a stand-in request executor: counts, phases, open-loop lag, stop."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from raafperf.client.types import CallResult
from raafperf.engine.loop import SegmentPlan, run_segment
from raafperf.record.recorder import Recorder
from raafperf.scenario.loader import Query
from raafperf.scenario.model import QueryItem

QUERIES = [
    Query(agent="a", item=QueryItem(text="q1"), weight=1.0),
    Query(agent="a", item=QueryItem(text="q2"), weight=1.0),
]


@dataclass
class Done:
    calls: list[Any]
    tools: list[Any] = field(default_factory=list)
    ok: bool = True
    error_kind: str | None = None
    turns: int = 1


def executor(delay_s: float, *, block: bool = False, fail_every: int = 0) -> Any:
    seen = {"n": 0, "concurrent": 0, "max": 0}

    async def execute(query: Query, request_id: str) -> Done:
        seen["n"] += 1
        number = seen["n"]
        seen["concurrent"] += 1
        seen["max"] = max(seen["max"], seen["concurrent"])
        start = time.perf_counter_ns()
        if block:
            time.sleep(delay_s)  # the generator itself falls behind
        else:
            await asyncio.sleep(delay_s)
        seen["concurrent"] -= 1
        end = time.perf_counter_ns()
        if fail_every and number % fail_every == 0:
            raise RuntimeError("a bug in a layer")
        call = CallResult(
            ok=True,
            provider="p",
            model="m",
            start_ns=start,
            end_ns=end,
            first_token_ns=start + 1000,
            token_ns=[start + 1000, end],
            completion_tokens=2,
        )
        return Done(calls=[call])

    execute.seen = seen  # type: ignore[attr-defined]
    return execute


def plan(**kw: Any) -> SegmentPlan:
    base = dict(
        variant="baseline",
        mode="closed",
        concurrency=4,
        rate=None,
        arrival="constant",
        requests=20,
        warmup=3,
        duration=None,
        seed=1,
    )
    base.update(kw)
    return SegmentPlan(**base)


async def test_closed_loop_runs_exactly_the_requests_with_the_concurrency() -> None:
    rec = Recorder(time.perf_counter_ns())
    ex = executor(0.01)
    result = await run_segment(plan(), QUERIES, ex, rec, asyncio.Event())
    assert result.completed == 20 == len(rec.requests)
    assert ex.seen["max"] == 4
    phases = rec.requests.strs["phase"]
    assert phases.count("warmup") == 3 and phases.count("measure") == 17
    assert sorted(rec.requests.ints["idx"]) == list(range(20))


async def test_closed_loop_bounded_by_duration() -> None:
    rec = Recorder(time.perf_counter_ns())
    result = await run_segment(
        plan(requests=None, duration=0.2), QUERIES, executor(0.02), rec, asyncio.Event()
    )
    assert 10 < result.completed < 60
    assert result.wall_s < 1.0


async def test_open_loop_reports_lag_instead_of_lowering_the_rate() -> None:
    # 200 req/s asked, but each request blocks the loop for 10 ms: at most ~100/s possible.
    rec = Recorder(time.perf_counter_ns())
    p = plan(mode="open", concurrency=None, rate=200.0, requests=60, warmup=0)
    result = await run_segment(p, QUERIES, executor(0.01, block=True), rec, asyncio.Event())
    assert result.completed == 60
    lags = list(rec.requests.floats["lag_ms"])
    assert max(lags) > 100  # requests started far behind their schedule...
    intended = list(rec.requests.ints["intended_ns"])
    span = (max(intended) - min(intended)) / 1e9
    assert span == pytest.approx(59 / 200, rel=0.01)  # ...which kept the asked rate
    e2e = list(rec.requests.floats["e2e_ms"])
    assert max(e2e) > 100  # latency counts from the intended start


async def test_a_raising_executor_is_counted_not_fatal() -> None:
    rec = Recorder(time.perf_counter_ns())
    result = await run_segment(
        plan(warmup=0), QUERIES, executor(0.0, fail_every=5), rec, asyncio.Event()
    )
    assert result.completed == 20
    kinds = rec.requests.strs["error_kind"]
    assert kinds.count("internal_error") == 4


async def test_stop_keeps_what_was_measured() -> None:
    rec = Recorder(time.perf_counter_ns())
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.15, stop.set)
    result = await run_segment(plan(requests=10_000, warmup=0), QUERIES, executor(0.02), rec, stop)
    assert result.interrupted
    assert 0 < result.completed < 10_000
    assert len(rec.requests) == result.completed
