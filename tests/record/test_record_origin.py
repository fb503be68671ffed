"""Latency origin and client overhead: pure arithmetic on recorded stamps (no clock read)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from raafperf.client.types import CallResult
from raafperf.record.columns import MISSING_INT
from raafperf.record.recorder import Recorder, client_overhead_ns
from raafperf.record.store import write_table

MS = 1_000_000
T0 = 10_000 * MS


def call(
    start: int, sent: int | None, *, wait: int = 0, lookup: int | None = None, cache: str = "off"
) -> CallResult:
    first = start + 60 * MS
    stages = {"cache_lookup": lookup} if lookup is not None else {}
    return CallResult(
        ok=True, provider="sim", model="m", start_ns=start, end_ns=first + 30 * MS,
        first_token_ns=first, token_ns=[first, first + 10 * MS, first + 30 * MS],
        completion_tokens=3, sent_ns=sent, send_wait_ns=wait, stages_ns=stages, cache=cache,
    )  # fmt: skip


def record(
    rec: Recorder, c: CallResult, *, intended: int, start: int, closed: bool, agent_wait: int = 0
) -> None:
    rec.record(variant="baseline", idx=len(rec.requests), phase="measure", worker=0, agent="a",
               query=0, intended_ns=intended, start_ns=start, end_ns=c.end_ns, calls=[c],
               tools=[], ok=True, error_kind=None, turns=1, agent_wait_ns=agent_wait,
               origin_from_send=closed)  # fmt: skip


def test_overhead_is_the_time_to_the_socket_less_the_waits_a_scenario_models() -> None:
    start = T0
    # 4 ms to the socket, of which nothing modeled: all the client's own.
    assert client_overhead_ns(start, [call(start + MS, start + 4 * MS)]) == 4 * MS
    # 30 ms to the socket: 5 ms agent pool, 2 ms cache lookup, 20 ms connect: 3 ms its own.
    c = call(start + 8 * MS, start + 30 * MS, wait=20 * MS, lookup=2 * MS)
    assert client_overhead_ns(start, [c], agent_wait_ns=5 * MS) == 3 * MS
    # Nothing sent (a cache hit), or no call at all: unknown.
    assert client_overhead_ns(start, [call(start, None, cache="hit")]) == MISSING_INT
    assert client_overhead_ns(start, []) == MISSING_INT
    # Waits measured a little longer than the span (clock granularity) never go negative.
    assert client_overhead_ns(start, [call(start, start + MS, wait=2 * MS)]) == 0


def test_closed_loop_measures_from_the_send_open_loop_from_the_schedule(tmp_path: Path) -> None:
    rec = Recorder(T0)
    start = T0 + 100 * MS
    c = call(start + MS, start + 7 * MS, wait=2 * MS)  # overhead 5 ms
    record(rec, c, intended=start, start=start, closed=True)
    record(rec, c, intended=start - 40 * MS, start=start, closed=False)  # 40 ms late
    f = rec.requests.floats
    assert list(f["client_overhead_ms"]) == pytest.approx([5.0, 5.0])
    # closed: from start + 5 ms; open: from the intended start, lag and overhead included.
    assert f["ttft_ms"][0] == pytest.approx(61 - 5)
    assert f["e2e_ms"][0] == pytest.approx(91 - 5)
    assert f["ttft_ms"][1] == pytest.approx(40 + 61)
    assert f["e2e_ms"][1] == pytest.approx(40 + 91)
    assert f["tpot_ms"][0] == f["tpot_ms"][1] == pytest.approx(15.0)  # origin-free
    # The call's sent_ns is saved (relative to t0), null where nothing was sent.
    record(rec, call(start, None, cache="hit"), intended=start, start=start, closed=True)
    assert math.isnan(f["client_overhead_ms"][2])
    assert f["ttft_ms"][2] == pytest.approx(60.0)  # a hit keeps the request's start
    write_table(tmp_path / "calls.parquet", rec.calls)
    import pandas as pd

    calls = pd.read_parquet(tmp_path / "calls.parquet")
    assert calls["sent_ns"].tolist()[:2] == [107 * MS, 107 * MS]
    assert pd.isna(calls["sent_ns"].iloc[2])
