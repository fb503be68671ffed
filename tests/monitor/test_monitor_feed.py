"""Worker mode: the rows a worker sends are fed to the exporter in the parent."""

from __future__ import annotations

import math
import time

from prom_text import check_histograms, parse, series, value

from raafperf.client.types import CallResult
from raafperf.monitor import PrometheusExporter, feed_requests
from raafperf.record.recorder import Recorder


def record(recorder: Recorder, i: int) -> None:
    start = time.perf_counter_ns()
    ok = i % 4 != 0
    call = CallResult(
        ok=ok,
        provider="p1" if i % 2 else "p2",
        model="m" if i % 3 else "unpriced",
        start_ns=start,
        end_ns=start + 50_000_000 + i * 1_000_000,
        first_token_ns=start + 10_000_000 if ok else None,
        token_ns=[start + 10_000_000, start + 20_000_000] if ok else [],
        completion_tokens=2 if ok else None,
        prompt_tokens=5 if ok else None,
        error_kind=None if ok else "http_503",
        cache="hit" if i % 5 == 0 else "miss",
    )
    recorder.record(
        variant="baseline",
        idx=i,
        phase="measure",
        worker=0,
        agent="a",
        query=0,
        intended_ns=start,
        start_ns=start,
        end_ns=call.end_ns,
        calls=[call],
        tools=[],
        ok=ok,
        error_kind=None if ok else "http_503",
        turns=1,
    )


def price(provider: str, model: str, prompt: int, output: int, cached: int) -> float | None:
    return None if model == "unpriced" else 0.01 * (prompt + output)


def test_rows_of_a_recorder_table_are_counted_like_live_requests() -> None:
    recorder = Recorder(time.perf_counter_ns(), cost_fn=price)
    for i in range(40):
        record(recorder, i)
    exporter = PrometheusExporter(0)
    assert feed_requests(exporter, recorder.requests) == 40
    assert feed_requests(exporter, None) == 0
    exporter.set_in_flight(7)
    types, samples = parse(exporter.exposition())
    assert check_histograms(types, samples) == 2
    rows = recorder.requests
    ok = [bool(x) for x in rows.bools["ok"]]
    assert value(
        samples,
        "raafperf_requests_total",
        variant="baseline",
        agent="a",
        provider="p1",
        status="ok",
    ) == sum(1 for k, p in zip(ok, rows.strs["provider"], strict=True) if k and p == "p1")
    assert (
        value(samples, "raafperf_request_errors_total", variant="baseline", kind="http_503")
        == ok.count(False)
        == 10
    )
    ttft = [t for t in rows.floats["ttft_ms"] if not math.isnan(t)]
    assert (
        value(samples, "raafperf_ttft_seconds_count", variant="baseline", agent="a")
        == len(ttft)
        == 30
    )
    costs = [c for c in rows.floats["cost_usd"] if not math.isnan(c)]
    assert sum(series(samples, "raafperf_cost_usd_total").values()) == sum(costs)
    assert value(samples, "raafperf_unpriced_requests_total", variant="baseline") == 40 - len(costs)
    assert value(samples, "raafperf_in_flight_requests") == 7
    assert value(samples, "raafperf_cache_requests_total", variant="baseline", outcome="hit") == 8


def test_remote_state_is_kept_until_replaced() -> None:
    exporter = PrometheusExporter(0)
    state = {"baseline": {"router": {"providers": {"p": {"breaker": {"state": "open"}}}}}}
    exporter.update_remote("worker-0", state=state)
    exporter.update_remote("worker-0", snapshot=None)  # a chunk without state keeps it
    _, samples = parse(exporter.exposition())
    assert value(samples, "raafperf_provider_up", variant="baseline", provider="p") == 0
