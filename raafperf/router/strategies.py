"""Routing strategies: each picks one provider from a non-empty list of eligible ones.

Eligibility (serves the model, breaker admits, budget left, not yet tried) is the router's
business; a strategy only orders. Candidates arrive in registration order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Protocol

from raafperf.router.config import LatencyConfig
from raafperf.router.state import ProviderState


class Strategy(Protocol):
    def choose(self, candidates: Sequence[ProviderState], model: str) -> ProviderState: ...


class RoundRobin:
    """Walks providers in registration order, skipping those not eligible."""

    __slots__ = ("_n", "_next")

    def __init__(self, n_providers: int) -> None:
        self._n = max(1, n_providers)
        self._next = 0

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        if len(candidates) == 1:
            best = candidates[0]
        else:
            start, n = self._next, self._n
            best = min(candidates, key=lambda p: (p.index - start) % n)
        self._next = best.index + 1
        return best


class RandomChoice:
    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        return candidates[0] if len(candidates) == 1 else self._rng.choice(candidates)


class Weighted:
    """Random in proportion to the providers' weights (seeded)."""

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        if len(candidates) == 1:
            return candidates[0]
        point = self._rng.random() * sum(p.weight for p in candidates)
        for p in candidates:
            point -= p.weight
            if point < 0:
                return p
        return candidates[-1]


class _TieBreak:
    """Picks the candidates with the lowest key, round robin among equals."""

    __slots__ = ("_rr",)

    def __init__(self, n_providers: int) -> None:
        self._rr = RoundRobin(n_providers)

    def lowest(
        self, candidates: Sequence[ProviderState], key: Callable[[ProviderState], float]
    ) -> ProviderState:
        if len(candidates) == 1:
            return candidates[0]
        best = min(key(p) for p in candidates)
        ties = [p for p in candidates if key(p) == best]
        return ties[0] if len(ties) == 1 else self._rr.choose(ties)


class Priority(_TieBreak):
    """Lowest priority number first; the next only when the first is not eligible."""

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        return self.lowest(candidates, lambda p: p.priority)


class LeastBusy(_TieBreak):
    """Fewest requests in flight."""

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        return self.lowest(candidates, lambda p: p.in_flight)


class Cheapest(_TieBreak):
    """Cheapest for the request's model; unpriced providers rank last."""

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        inf = float("inf")

        def price(p: ProviderState) -> float:
            value = p.prices.get(model)
            return inf if value is None else value

        return self.lowest(candidates, price)


_EXPLORE_CALLS = 3
"""Calls an unmeasured provider is offered before it must earn traffic like the others."""


class LeastLatency:
    """Lowest moving average of TTFT (or E2E), with a buffer so near-equals share the load.

    A provider never measured is tried first (one call at a time, a few calls at most, so one
    that only fails is not tried forever), so every provider gets measured.
    """

    __slots__ = ("_buffer", "_rng")

    def __init__(self, config: LatencyConfig, rng: random.Random) -> None:
        self._buffer = 1.0 + config.buffer
        self._rng = rng

    def choose(self, candidates: Sequence[ProviderState], model: str = "") -> ProviderState:
        if len(candidates) == 1:
            return candidates[0]
        measured = []
        for p in candidates:
            if p.ewma_ms is None:
                if p.in_flight == 0 and p.sent < _EXPLORE_CALLS:
                    return p
            else:
                measured.append(p)
        if not measured:
            return self._rng.choice(candidates)
        limit = min(p.ewma_ms for p in measured) * self._buffer  # type: ignore[type-var]
        near = [p for p in measured if p.ewma_ms <= limit]  # type: ignore[operator]
        return near[0] if len(near) == 1 else self._rng.choice(near)


def make_strategy(
    name: str, n_providers: int, rng: random.Random, latency: LatencyConfig
) -> Strategy:
    if name == "round_robin":
        return RoundRobin(n_providers)
    if name == "random":
        return RandomChoice(rng)
    if name == "weighted":
        return Weighted(rng)
    if name == "priority":
        return Priority(n_providers)
    if name == "least_latency":
        return LeastLatency(latency, rng)
    if name == "least_busy":
        return LeastBusy(n_providers)
    if name == "cost":
        return Cheapest(n_providers)
    raise ValueError(f"unknown routing strategy {name!r}")
