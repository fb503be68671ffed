"""Prices for the engine: a per-call cost function (hot path) and the run's price table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from raafperf.record.recorder import CostFn


def load_price_table(prices: Path | None) -> Any:
    from raafperf.cost.prices import PriceTable

    return PriceTable.load(prices)


def make_cost_function(table: Any, multipliers: Mapping[str, float]) -> CostFn:
    """(provider, model, prompt, output, cached) -> USD, or None for an unpriced model."""
    from raafperf.cost.prices import call_cost

    lookup = table.lookup
    mult = dict(multipliers)

    def cost(provider: str, model: str, prompt: int, output: int, cached: int) -> float | None:
        return call_cost(lookup(model), prompt, output, cached, mult.get(provider, 1.0))

    return cost


def router_price_of(table: Any, multipliers: Mapping[str, float]) -> Any:
    """(provider, model) -> a comparable price: USD for 1M input plus 1M output tokens."""

    def price_of(provider: str, model: str) -> float | None:
        price = table.lookup(model)
        if price is None:
            return None
        return (price.input + price.output) * multipliers.get(provider, 1.0)

    return price_of


def cache_price_fn(table: Any) -> Any:
    """(model, prompt, completion) -> USD, for what a cache hit saved."""
    from raafperf.cost.prices import call_cost

    def price(model: str, prompt: int, completion: int) -> float | None:
        return call_cost(table.lookup(model), prompt, completion)

    return price
