"""End to end: scenarios/failover.yaml, shortened, on the simulator with real ProviderClients."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import yaml

from raafperf.client.provider import ProviderClient
from raafperf.client.types import CallResult, ChatRequest
from raafperf.router import build_router
from raafperf.scenario.model import Scenario
from raafperf.sim import FaultSpec, SimulatedProviderSpec, SimulatorServer
from raafperf.sim.text import warm_up

SCENARIO = Path(__file__).parents[2] / "scenarios" / "failover.yaml"
OUTAGE = (2.0, 4.0)  # seconds after the simulator is built (the file says 3.5-6.5)
AFTER_S = 2.0  # how long the run goes on after the outage


def load(outage: tuple[float, float] | None) -> Scenario:
    scenario = Scenario.model_validate(yaml.safe_load(SCENARIO.read_text()))
    providers = []
    for p in scenario.providers:
        sim = p.sim
        if p.name == "fast":
            faults = (
                []
                if outage is None
                else [FaultSpec(kind="http_503", start_s=outage[0], end_s=outage[1])]
            )
            sim = sim.model_copy(update={"faults": faults})
        providers.append(p.model_copy(update={"simulator": sim}))
    return scenario.model_copy(update={"providers": providers})


async def drive(
    scenario: Scenario,
    strategy: str,
    *,
    seconds: float | None = None,
    until_sim_s: float | None = None,
    users: int = 8,
) -> tuple[list[tuple[float, CallResult]], dict[str, Any], float]:
    """A closed loop of ``users`` against the router: (start time, result) per request, the
    router's stats, and how long after the simulator's clock the router's clock began.

    The simulator runs in this event loop, so its fault clock (which starts when it is built)
    and the router's clock differ by a known offset.
    """
    specs = [SimulatedProviderSpec(p.name, p.models, p.sim) for p in scenario.providers]
    model = scenario.agents[0].model
    warm_up()  # load the simulator's tokenizer first: its fault clock starts when it is built
    launched = time.monotonic()
    async with SimulatorServer(specs, seed=3) as sim:
        endpoints = sim.endpoints
        callers = [
            (p, ProviderClient(p, base_url=endpoints[p.name].base_url)) for p in scenario.providers
        ]
        config = scenario.router.model_copy(update={"strategy": strategy})
        router = build_router(config, callers, rng_seed=1)
        router.mark_start()
        t0 = time.monotonic()
        offset = t0 - launched
        if until_sim_s is not None:
            seconds = until_sim_s - offset
        assert seconds is not None
        done: list[tuple[float, CallResult]] = []

        async def user(i: int) -> None:
            while time.monotonic() - t0 < seconds:
                request = ChatRequest(
                    model=model,
                    messages=[{"role": "user", "content": f"question {i}"}],
                    max_tokens=32,
                )
                started = time.monotonic() - t0
                result = await router.call(request)
                done.append((started, result))

        try:
            await asyncio.gather(*(user(i) for i in range(users)))
            stats = router.stats()
        finally:
            await router.aclose()
    return done, stats, offset


async def test_outage_opens_the_breaker_moves_traffic_and_brings_it_back() -> None:
    done, stats, offset = await drive(load(OUTAGE), "priority", until_sim_s=OUTAGE[1] + AFTER_S)
    outage = (OUTAGE[0] - offset, OUTAGE[1] - offset)  # in the router's clock

    # no request lost: every one ended as a success or a counted error
    assert stats["requests"] == len(done)
    assert stats["ok"] + stats["errors"]["total"] == len(done)
    assert all(r.ok or r.error_kind for _, r in done)
    assert stats["ok"] == len(done)  # fast → flaky → slow always found someone

    fast = [e for e in stats["timeline"] if e["provider"] == "fast"]
    assert {e["provider"] for e in stats["timeline"]} == {"fast"}
    assert (fast[0]["from"], fast[0]["to"]) == ("closed", "open")
    assert (fast[-2]["to"], fast[-2]["reason"]) == ("half_open", "health check passed")
    assert (fast[-1]["to"], fast[-1]["reason"]) == ("closed", "probe succeeded")
    opened, probing, closed = fast[0]["t_s"], fast[-2]["t_s"], fast[-1]["t_s"]
    assert outage[0] < opened < outage[1]
    assert outage[1] < closed < outage[1] + AFTER_S

    by_phase: dict[str, list[str]] = {"before": [], "during": [], "after": []}
    for t, r in done:  # by when the request started
        if t < opened - 0.5:
            by_phase["before"].append(r.provider)
        elif opened + 0.01 < t < probing:  # t_s is rounded to the millisecond
            by_phase["during"].append(r.provider)
        elif t > closed:
            by_phase["after"].append(r.provider)
    assert len(by_phase["before"]) > 5
    assert by_phase["before"].count("fast") >= 0.9 * len(by_phase["before"])
    assert "fast" not in by_phase["during"]
    assert len(by_phase["during"]) > 20  # the others carried the load meanwhile
    assert by_phase["after"].count("fast") >= 0.9 * len(by_phase["after"])
    assert len(by_phase["after"]) > 20

    # priority: the second (flaky) only around the outage; fallbacks were counted
    flaky_times = [t for t, r in done if r.provider == "flaky"]
    assert flaky_times
    assert min(flaky_times) > opened - 1.0 and max(flaky_times) < closed + 1.0
    assert stats["fallbacks"]["requests"] > 0
    traffic = stats["providers"]["fast"]["traffic"]
    assert traffic[0] > 0 and traffic[-1] > 0 and 0 in traffic  # there, gone, back
    assert stats["providers"]["fast"]["breaker"] == {"state": "closed", "opens": 1}


async def test_least_latency_sends_most_traffic_to_the_fast_provider() -> None:
    done, stats, _ = await drive(load(None), "least_latency", seconds=2.5)
    providers = stats["providers"]
    assert providers["fast"]["answered"] >= 0.8 * len(done)
    assert providers["slow"]["requests"] >= 1  # measured once at least
    assert providers["fast"]["ewma_ms"] < providers["slow"]["ewma_ms"]
    assert stats["ok"] + stats["errors"]["total"] == len(done)
