"""A pool of agent runners per agent type: built once, reused, reset between requests.

``pool_size`` bounds how many requests use an agent type at once; further requests wait in
arrival order, and the wait is reported on the outcome as the ``agent_wait`` stage.
Runners are built lazily up to the size (``warm_up`` builds them ahead of measuring).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from raafperf.agents.config import AgentConfig
from raafperf.agents.runner import (
    DEFAULT_EST_OUTPUT_TOKENS,
    AgentRunner,
    ModelChooser,
    RequestOutcome,
)
from raafperf.client.types import ModelCaller
from raafperf.errors import UsageError
from raafperf.scenario.model import QueryItem

WARMUP_QUERY = "Warm-up request."


class _TypePool:
    """The runners of one agent type and who waits for them."""

    def __init__(self, agent: AgentConfig, size: int | None, build: Callable[[], AgentRunner]):
        self.agent = agent
        self.size = size
        self._build = build
        self.idle: deque[AgentRunner] = deque()
        self.waiters: deque[asyncio.Future[AgentRunner]] = deque()
        self.built = 0
        self.acquired = 0
        self.reused = 0
        self.in_use = 0
        self.max_in_use = 0
        self.waits = 0
        self.wait_ns_total = 0
        self.wait_ns_max = 0

    def build(self) -> AgentRunner:
        runner = self._build()
        self.built += 1
        return runner

    async def take(self, clock: Callable[[], int]) -> AgentRunner:
        wait_ns = 0
        if self.idle and not self.waiters:
            runner = self.idle.popleft()
        elif self.size is None or self.built < self.size:
            runner = self.build()
        else:
            self.waits += 1
            start = clock()
            fut: asyncio.Future[AgentRunner] = asyncio.get_running_loop().create_future()
            self.waiters.append(fut)
            try:
                runner = await fut
            except asyncio.CancelledError:
                # Handed a runner just as we were cancelled: pass it on, don't leak it.
                if fut.done() and not fut.cancelled():
                    self._hand_back(fut.result())
                else:
                    self.waiters.remove(fut)
                raise
            wait_ns = clock() - start
            self.wait_ns_total += wait_ns
            self.wait_ns_max = max(self.wait_ns_max, wait_ns)
        if runner.leases:
            self.reused += 1
        runner.leases += 1
        self.acquired += 1
        self.in_use += 1
        self.max_in_use = max(self.max_in_use, self.in_use)
        runner.agent_wait_ns = wait_ns
        return runner

    def give(self, runner: AgentRunner) -> None:
        self.in_use -= 1
        runner.reset()
        self._hand_back(runner)

    def _hand_back(self, runner: AgentRunner) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(runner)
                # The waiter counts itself in again when it wakes.
                return
        self.idle.append(runner)

    def stats(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "built": self.built,
            "acquired": self.acquired,
            "reused": self.reused,
            "in_use": self.in_use,
            "max_in_use": self.max_in_use,
            "idle": len(self.idle),
            "waits": self.waits,
            "wait_ms_total": self.wait_ns_total / 1e6,
            "wait_ms_max": self.wait_ns_max / 1e6,
        }


class AgentPool:
    """Runners for every agent type of a scenario.

    ``default_size`` applies to agents without ``pool_size`` (the engine passes the load's
    concurrency; None means unbounded). ``selector`` and ``output_tokens_estimate`` go to
    every runner (see :class:`AgentRunner`).
    """

    def __init__(
        self,
        agents: Sequence[AgentConfig],
        caller: ModelCaller,
        *,
        stream: bool,
        seed: int = 0,
        selector: ModelChooser | None = None,
        default_size: int | None = None,
        output_tokens_estimate: int = DEFAULT_EST_OUTPUT_TOKENS,
        clock_ns: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self._clock = clock_ns
        self._pools: dict[str, _TypePool] = {}
        self.warmup_requests = 0
        for agent in agents:

            def build(agent: AgentConfig = agent) -> AgentRunner:
                return AgentRunner(
                    agent,
                    caller,
                    stream=stream,
                    seed=seed,
                    selector=selector,
                    output_tokens_estimate=output_tokens_estimate,
                    clock_ns=clock_ns,
                )

            size = agent.pool_size if agent.pool_size is not None else default_size
            self._pools[agent.name] = _TypePool(agent, size, build)

    def _pool(self, agent_name: str) -> _TypePool:
        try:
            return self._pools[agent_name]
        except KeyError:
            known = ", ".join(self._pools) or "none"
            raise UsageError(f"no agent named {agent_name!r} (agents: {known})") from None

    @asynccontextmanager
    async def acquire(self, agent_name: str) -> AsyncIterator[AgentRunner]:
        """A runner of this type for one request; waits while the type's pool is in use.

        The wait lands on the runner's next outcome as ``agent_wait_ns``.
        """
        pool = self._pool(agent_name)
        runner = await pool.take(self._clock)
        try:
            yield runner
        finally:
            pool.give(runner)

    def build(self) -> None:
        """Build every agent type's runners up to its size (one where unbounded) ahead of use.

        This is the cheap warm-up: tool specs are built and Python tools imported, but no
        request is sent.
        """
        for pool in self._pools.values():
            target = pool.size if pool.size is not None else 1
            while pool.built < target:
                pool.idle.append(pool.build())

    async def warm_up(
        self, n: int = 1, *, queries: dict[str, QueryItem] | None = None
    ) -> list[RequestOutcome]:
        """Run ``n`` unrecorded requests per agent type, up to the pool size at once.

        Builds the runners, opens the connections and takes every code path (tools
        included) before measuring. Returns the outcomes so a caller can check them;
        ``queries`` picks each type's warm-up query (default: a short text with the agent's
        own tool script). Request ids are ``warmup-<agent>-<i>``.
        """
        self.build()
        outcomes: list[RequestOutcome] = []

        async def one(name: str, i: int) -> None:
            query = (queries or {}).get(name) or QueryItem(text=WARMUP_QUERY)
            async with self.acquire(name) as runner:
                outcomes.append(await runner.run(query, request_id=f"warmup-{name}-{i}"))

        await asyncio.gather(*(one(name, i) for name in self._pools for i in range(n)))
        self.warmup_requests += len(outcomes)
        return outcomes

    def stats(self) -> dict[str, Any]:
        """Per agent type and in total: built, acquired, reused, max in use, waits."""
        per_agent = {name: pool.stats() for name, pool in self._pools.items()}
        totals = {
            key: sum(s[key] for s in per_agent.values())
            for key in ("built", "acquired", "reused", "waits", "wait_ms_total")
        }
        totals["wait_ms_max"] = max((s["wait_ms_max"] for s in per_agent.values()), default=0.0)
        totals["warmup_requests"] = self.warmup_requests
        return {"agents": per_agent, "total": totals}
