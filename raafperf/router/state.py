"""What the router keeps per provider at run time: routing values, breaker, limits, counters."""

from __future__ import annotations

import asyncio
from array import array
from dataclasses import dataclass, field

from raafperf.client.types import ModelCaller
from raafperf.router.breaker import CircuitBreaker
from raafperf.router.ratelimit import ProviderLimiter


@dataclass(eq=False, slots=True)
class ProviderState:
    name: str
    index: int
    """Registration order: ties break by it, round robin walks it."""
    caller: ModelCaller
    models: frozenset[str]
    weight: float = 1.0
    priority: int = 0
    prices: dict[str, float | None] = field(default_factory=dict)
    """Price per model for the cost strategy (None: unknown, ranked last)."""
    breaker: CircuitBreaker | None = None
    limiter: ProviderLimiter | None = None
    in_flight: int = 0
    ewma_ms: float | None = None
    cooldown_until: float = 0.0
    """Clock time before which a provider that answered 429 is left alone."""
    health_task: asyncio.Task[None] | None = None

    # counters for the report
    sent: int = 0
    ok: int = 0
    answered: int = 0
    """Requests whose final result came from this provider."""
    errors: dict[str, int] = field(default_factory=dict)
    latency_ms: array = field(default_factory=lambda: array("d"))
    ttft_ms: array = field(default_factory=lambda: array("d"))
    traffic: list[int] = field(default_factory=list)
    rate_limited: int = 0
    """Times it was passed over because its rpm/tpm budget was spent."""
    health_ok: int = 0
    health_failed: int = 0

    @property
    def breaker_state(self) -> str:
        return self.breaker.state if self.breaker is not None else "off"
