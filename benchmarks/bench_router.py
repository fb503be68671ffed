"""What the router adds per request, against in-process no-op providers.

    python benchmarks/bench_router.py [--calls 30000] [--repeat 5]

For each setup: CPU time per call through the router, and minus the CPU time per direct call
to the same no-op provider (the overhead). CPU time (``process_time``) rather than wall time,
and the best of ``--repeat`` interleaved runs, so other processes on a shared machine do not
count. Last column: the median of the router's own ``stages_ns["routing"]`` (wall time).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from raafperf.client.types import CallResult, ChatRequest
from raafperf.router import RouterConfig, build_router
from raafperf.scenario.model import ProviderConfig, ProviderRateLimit

MODEL = "m"


class NoOp:
    """Answers at once with a fresh, successful result."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def call(self, request: ChatRequest) -> CallResult:
        now = time.perf_counter_ns()
        return CallResult(
            ok=True,
            provider=self.name,
            model=request.model,
            start_ns=now,
            end_ns=now + 1000,
            first_token_ns=now + 500,
        )

    async def health_check(self) -> bool:
        return True


def provider(name: str, *, priority: int = 0, limited: bool = False) -> ProviderConfig:
    rate = ProviderRateLimit(rpm=1e12, tpm=1e15) if limited else None
    return ProviderConfig(
        name=name, kind="simulated", models=[MODEL], priority=priority, rate_limit=rate
    )


SETUPS: list[tuple[str, int, dict[str, Any], bool]] = [
    ("1 provider, breaker off", 1, {"breaker": {"enabled": False}}, False),
    ("1 provider, defaults (breaker on)", 1, {}, False),
    ("1 provider, breaker + rpm/tpm limits", 1, {}, True),
    ("3 providers, round_robin", 3, {"strategy": "round_robin"}, False),
    ("3 providers, random", 3, {"strategy": "random"}, False),
    ("3 providers, weighted", 3, {"strategy": "weighted"}, False),
    ("3 providers, priority", 3, {"strategy": "priority"}, False),
    ("3 providers, least_latency", 3, {"strategy": "least_latency"}, False),
    ("3 providers, least_busy", 3, {"strategy": "least_busy"}, False),
    ("3 providers, cost", 3, {"strategy": "cost"}, False),
    ("3 providers, least_latency + limits", 3, {"strategy": "least_latency"}, True),
]


async def per_call_ns(caller: Any, request: ChatRequest, calls: int) -> float:
    call = caller.call
    t0 = time.process_time_ns()
    for _ in range(calls):
        await call(request)
    return (time.process_time_ns() - t0) / calls


async def main(calls: int, repeat: int) -> None:
    request = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "hello there"}])
    direct = NoOp("direct")
    print(f"{calls} calls per run, best of {repeat}; CPU µs per call")
    print(f"{'setup':40} {'direct':>7} {'router':>7} {'overhead':>9} {'routing stage':>14}")
    for label, n, cfg, limited in SETUPS:
        pcs = [provider(f"p{i}", priority=i, limited=limited) for i in range(n)]
        router = build_router(
            RouterConfig.model_validate(cfg),
            [(pc, NoOp(pc.name)) for pc in pcs],
            price_of=lambda name, model: float(name[1:]) + 1,
        )
        await per_call_ns(router, request, calls // 10)  # warm up
        base = total = float("inf")
        for _ in range(repeat):  # interleaved, so a busy spell hits both alike
            base = min(base, await per_call_ns(direct, request, calls))
            total = min(total, await per_call_ns(router, request, calls))
        stages = [(await router.call(request)).stages_ns["routing"] for _ in range(2000)]
        print(
            f"{label:40} {base / 1000:7.2f} {total / 1000:7.2f} {(total - base) / 1000:9.2f}"
            f" {statistics.median(stages) / 1000:14.2f}"
        )
        await router.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.repeat))
