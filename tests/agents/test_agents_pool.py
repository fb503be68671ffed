from __future__ import annotations

import asyncio

import pytest
from agents_helpers import ScriptedCaller

from raafperf.agents.config import AgentConfig
from raafperf.agents.pool import AgentPool
from raafperf.errors import UsageError
from raafperf.scenario.model import QueryItem

TOOL = {"name": "search", "latency_ms": 2}


def agents(pool_size: int | None = 2) -> list[AgentConfig]:
    return [
        AgentConfig(name="small", model="m", tools=[TOOL], tool_rounds=1, pool_size=pool_size),
        AgentConfig(name="free", model="m"),
    ]


async def _request(pool: AgentPool, name: str, i: int, seen: list) -> None:
    async with pool.acquire(name) as runner:
        seen.append(runner)
        out = await runner.run(QueryItem(text=f"q{i}"), request_id=f"{name}-{i}")
        assert out.ok
        return out


async def test_pool_size_bounds_concurrency_and_reuses_runners() -> None:
    caller = ScriptedCaller(latency_s=0.02)
    pool = AgentPool(agents(2), caller, stream=True, seed=3)
    seen: list = []
    outs = await asyncio.gather(*(_request(pool, "small", i, seen) for i in range(8)))

    assert caller.max_in_flight["small"] <= 2
    stats = pool.stats()["agents"]["small"]
    assert stats["built"] == 2 and stats["max_in_use"] == 2 and stats["acquired"] == 8
    assert stats["reused"] == 6 and stats["in_use"] == 0 and stats["idle"] == 2
    assert stats["waits"] == 6 and stats["wait_ms_total"] > 0
    assert len({id(r) for r in seen}) == 2
    # The wait for an agent lands on the outcome of the request that waited.
    waited = [o for o in outs if o.agent_wait_ns > 0]
    assert len(waited) == 6
    assert max(o.agent_wait_ns for o in outs) / 1e6 == pytest.approx(stats["wait_ms_max"])
    # Reset between requests: nothing of a request is left on the runner.
    for runner in seen:
        assert runner.messages == [] and runner.agent_wait_ns == 0
        assert runner.resets == runner.requests == runner.leases


async def test_unbounded_and_default_size() -> None:
    caller = ScriptedCaller(latency_s=0.02)
    pool = AgentPool(agents(None), caller, stream=False, default_size=3)
    seen: list = []
    await asyncio.gather(*(_request(pool, "small", i, seen) for i in range(6)))
    await asyncio.gather(*(_request(pool, "free", i, seen) for i in range(6)))
    stats = pool.stats()["agents"]
    assert stats["small"]["size"] == 3 and stats["small"]["max_in_use"] == 3
    assert caller.max_in_flight["small"] == 3

    unbounded = AgentPool(agents(None), ScriptedCaller(latency_s=0.02), stream=True)
    await asyncio.gather(*(_request(unbounded, "free", i, []) for i in range(5)))
    free = unbounded.stats()["agents"]["free"]
    assert free["size"] is None and free["built"] == 5 and free["waits"] == 0


async def test_waiters_are_served_in_order_and_a_cancelled_waiter_leaks_nothing() -> None:
    pool = AgentPool(agents(1), ScriptedCaller(latency_s=0), stream=True)
    order: list[int] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with pool.acquire("small"):
            await release.wait()

    async def wait_then_note(i: int) -> None:
        async with pool.acquire("small"):
            order.append(i)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(wait_then_note(i)) for i in range(4)]
    await asyncio.sleep(0.01)
    waiters[1].cancel()
    release.set()
    await asyncio.gather(holder, *waiters, return_exceptions=True)
    assert order == [0, 2, 3]
    stats = pool.stats()["agents"]["small"]
    assert stats["in_use"] == 0 and stats["idle"] == 1 and stats["built"] == 1
    async with pool.acquire("small") as runner:
        assert runner is not None


async def test_warm_up_builds_and_runs_unrecorded_requests() -> None:
    caller = ScriptedCaller(latency_s=0.005)
    pool = AgentPool(agents(2), caller, stream=True)
    outs = await pool.warm_up(3)
    assert len(outs) == 6 and all(o.ok for o in outs)
    assert {o.request_id for o in outs} >= {"warmup-small-0", "warmup-free-2"}
    small = [o for o in outs if o.agent == "small"]
    assert all(len(o.tools) == 1 for o in small), "warm-up takes the agent's tool script"
    stats = pool.stats()
    assert (
        stats["agents"]["small"]["built"] == 2 and stats["agents"]["free"]["built"] == 3
    )  # unbounded: n at once
    assert stats["total"]["warmup_requests"] == 6
    assert pool.stats()["agents"]["small"]["in_use"] == 0


async def test_build_is_the_cheap_warm_up() -> None:
    caller = ScriptedCaller()
    pool = AgentPool(agents(2), caller, stream=True)
    pool.build()
    assert pool.stats()["agents"]["small"]["built"] == 2 and caller.requests == []
    async with pool.acquire("small"):
        pass
    stats = pool.stats()["agents"]["small"]
    assert stats["built"] == 2 and stats["reused"] == 0 and stats["acquired"] == 1


async def test_unknown_agent() -> None:
    pool = AgentPool(agents(), ScriptedCaller(), stream=True)
    with pytest.raises(UsageError, match="no agent named 'nope'"):
        async with pool.acquire("nope"):
            pass
