"""Provider health, breaker states and cache counters, read from a real call stack on the
built-in simulator while it serves requests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
from prom_text import parse, value

from raafperf.engine.simulators import SimulatorSet
from raafperf.engine.stack import build_stack
from raafperf.monitor import PrometheusExporter, stack_state
from raafperf.monitor.state import merge_states, parse_state
from raafperf.scenario.loader import load_scenario
from raafperf.scenario.model import QueryItem

SCENARIO = """\
name: monitored
providers:
  - name: good
    kind: simulated
    models: [m]
    simulator: {latency: {ttft_ms: 2, itl_ms: 1, output_tokens: 3}}
  - name: bad
    kind: simulated
    models: [m]
    simulator:
      latency: {ttft_ms: 2, itl_ms: 1, output_tokens: 3}
      faults: [{kind: http_500}]
agents: [{name: a, model: m}]
queries: [{agent: a, texts: ["q"]}]
load: {mode: closed, concurrency: 1, requests: 10}
router:
  strategy: round_robin
  max_attempts: 2
  breaker: {failure_threshold: 3, failure_rate: null, reset_timeout_s: 600}
cache: {strategy: always}
"""


async def test_exporter_reports_breakers_and_cache_of_a_running_stack(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    scenario = load_scenario(path).scenario
    with SimulatorSet({"baseline": scenario}, seed=1, ground_truth_dir=None) as endpoints:
        stack = build_stack(scenario, endpoints["baseline"], seed=1)
        exporter = PrometheusExporter(0)
        exporter.set_state_source(lambda: {"baseline": stack_state(stack)})
        try:
            exporter.start()
            async with httpx.AsyncClient() as client:
                # Before any request: both providers up, breakers closed.
                _, before = parse((await client.get(exporter.url)).text)
                assert (
                    value(before, "raafperf_provider_up", variant="baseline", provider="bad") == 1
                )
                # Distinct queries miss the cache; the bad provider fails until its breaker
                # opens, and every request falls back to the good one.
                for i in range(12):
                    async with stack.agents.acquire("a") as runner:
                        await runner.run(
                            QueryItem(text=f"question {i % 6}"), request_id=str(i), context={}
                        )
                _, after = parse((await client.get(exporter.url)).text)
            full = await stack.stats()
        finally:
            exporter.stop()
            await stack.aclose()
    labels = {"variant": "baseline"}
    assert value(after, "raafperf_provider_up", **labels, provider="bad") == 0
    assert value(after, "raafperf_provider_up", **labels, provider="good") == 1
    assert (
        value(after, "raafperf_provider_breaker_state", **labels, provider="bad", state="open") == 1
    )
    assert (
        value(after, "raafperf_provider_breaker_state", **labels, provider="bad", state="closed")
        == 0
    )
    assert value(after, "raafperf_provider_breaker_opens_total", **labels, provider="bad") == 1
    assert value(after, "raafperf_provider_errors_total", **labels, provider="bad") == 3
    assert value(after, "raafperf_provider_ok_total", **labels, provider="good") == 6
    # Six distinct questions asked twice: six misses, then six hits.
    assert value(after, "raafperf_cache_layer_hits_total", **labels) == 6
    assert value(after, "raafperf_cache_layer_misses_total", **labels) == 6
    assert value(after, "raafperf_cache_layer_lookups_total", **labels) == 12
    # The cheap reader and the full stats() agree on what they both say.
    cheap = parse_state({"baseline": stack_state(stack)})
    rich = parse_state({"baseline": {"router": full["router"], "cache": full["cache"]}})
    for key, p in rich.providers.items():
        q = cheap.providers[key]
        assert (q.calls, q.ok, q.errors, q.breaker, q.opens) == (
            p.calls,
            p.ok,
            p.errors,
            p.breaker,
            p.opens,
        )
    assert cheap.caches["baseline"].hits == rich.caches["baseline"].hits == 6


def test_state_of_several_workers_merges_counters_and_keeps_the_worst_breaker() -> None:
    def worker(state: str, calls: int) -> dict:
        return {
            "router": {
                "providers": {
                    "p": {
                        "requests": calls,
                        "ok": calls - 1,
                        "errors": {"total": 1},
                        "in_flight": 2,
                        "breaker": {"state": state, "opens": 1},
                    }
                }
            },
            "cache": {"hits": 3, "misses": 1, "lookups": 4, "size": {"entries": 9}},
        }

    merged = merge_states(
        [
            parse_state(worker("closed", 10)),
            parse_state(worker("open", 5)),
            parse_state({"router": "garbage", "cache": {"error": "x"}}),
            parse_state(None),
        ]
    )
    p = merged.providers[("", "p")]
    assert (p.calls, p.ok, p.errors, p.in_flight, p.opens, p.breaker) == (15, 13, 2, 4, 2, "open")
    assert merged.caches[""].hits == 6 and merged.caches[""].entries == 18


def test_a_failing_state_source_keeps_the_last_good_state() -> None:
    exporter = PrometheusExporter(0)
    calls = {"n": 0}

    def source() -> dict:
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("dictionary changed size during iteration")
        return {"router": {"providers": {"p": {"breaker": {"state": "half_open"}}}}}

    exporter.set_state_source(source)
    for _ in range(2):
        _, samples = parse(exporter.exposition())
        assert (
            value(samples, "raafperf_provider_breaker_state", provider="p", state="half_open") == 1
        )
    assert calls["n"] == 2
