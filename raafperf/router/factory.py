"""Builds a Router from the scenario's router section and the engine's provider callers."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from raafperf.client.types import ModelCaller
from raafperf.errors import ScenarioError
from raafperf.router.breaker import CircuitBreaker
from raafperf.router.config import RouterConfig
from raafperf.router.errorclass import ErrorClass
from raafperf.router.ratelimit import ProviderLimiter
from raafperf.router.report import Timeline
from raafperf.router.router import Router
from raafperf.router.state import ProviderState
from raafperf.router.strategies import make_strategy

if TYPE_CHECKING:  # scenario.model imports router.config: keep this edge type-only
    from raafperf.scenario.model import ProviderConfig

PriceOf = Callable[[str, str], "float | None"]


def build_router(
    config: RouterConfig,
    providers: Sequence[tuple[ProviderConfig, ModelCaller]],
    *,
    clock: Callable[[], float] = time.monotonic,
    rng_seed: int = 0,
    price_of: PriceOf | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    close_providers: bool = True,
) -> Router:
    """A Router over ``providers`` (in order); it owns the callers unless told otherwise.

    ``price_of(provider, model)`` prices the cost strategy (a per-provider ``price`` in the
    router section wins); ``clock`` and ``sleep`` are injectable for tests.
    """
    names = [pc.name for pc, _ in providers]
    if not names:
        raise ScenarioError("the router needs at least one provider", field="providers")
    if len(set(names)) != len(names):
        raise ScenarioError("two providers share a name", field="providers")
    unknown = sorted(set(config.providers) - set(names))
    if unknown:
        raise ScenarioError(
            f"no provider named {unknown[0]!r} (providers: {', '.join(names)})",
            field=f"router.providers.{unknown[0]}",
        )
    rng = random.Random(rng_seed)
    timeline = Timeline(clock)
    counted = ErrorClass(config.breaker.count)
    states = []
    for index, (pc, caller) in enumerate(providers):
        override = config.providers.get(pc.name)
        breaker = None
        if config.breaker.enabled:
            breaker = CircuitBreaker(
                config.breaker,
                counted,
                clock=clock,
                health_checks=config.health.enabled and hasattr(caller, "health_check"),
                on_change=timeline.listener(pc.name),
            )
        limiter = None
        if pc.rate_limit is not None and (pc.rate_limit.rpm or pc.rate_limit.tpm):
            limiter = ProviderLimiter(pc.rate_limit.rpm, pc.rate_limit.tpm, clock)
        states.append(
            ProviderState(
                name=pc.name,
                index=index,
                caller=caller,
                models=frozenset(pc.models),
                weight=override.weight if override and override.weight else pc.weight,
                priority=(
                    override.priority if override and override.priority is not None else pc.priority
                ),
                prices=_prices(pc.name, pc.models, override.price if override else None, price_of),
                breaker=breaker,
                limiter=limiter,
            )
        )
    strategy = make_strategy(config.strategy, len(states), rng, config.least_latency)
    return Router(
        config,
        states,
        strategy,
        timeline,
        clock=clock,
        sleep=sleep,
        rng=rng,
        close_providers=close_providers,
    )


def _prices(
    name: str, models: Sequence[str], fixed: float | None, price_of: PriceOf | None
) -> dict[str, float | None]:
    if fixed is not None:
        return dict.fromkeys(models, fixed)
    if price_of is None:
        return dict.fromkeys(models)
    return {m: price_of(name, m) for m in models}
