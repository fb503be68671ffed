"""Budgets: a per-run spending limit, and model selection under a per-request limit.

Both are pure: they take costs and token estimates as plain numbers. The engine feeds
:class:`RunBudget` the cost of every model call and stops scheduling once ``add`` returns
False; the agent runner asks :class:`ModelSelector` which model a request may afford.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from raafperf.cost.config import BudgetConfig
from raafperf.cost.prices import ModelPrice, PriceTable, call_cost
from raafperf.errors import BudgetExceeded

UNKNOWN_QUALITY = 50.0
"""The quality of a candidate nobody scored: it ranks below the scored common models."""


class RunBudget:
    """Money spent so far in a run against an optional limit."""

    __slots__ = ("calls", "exceeded", "limit_usd", "spent", "unpriced_calls")

    def __init__(self, limit_usd: float | None) -> None:
        self.limit_usd = limit_usd
        self.spent = 0.0
        self.calls = 0
        self.unpriced_calls = 0
        """Calls whose cost is unknown (unpriced model): they cannot count towards the limit."""
        self.exceeded = False

    def add(self, usd: float | None) -> bool:
        """Record one call's cost; False once the total is over the limit (and from then on)."""
        self.calls += 1
        if usd is None or math.isnan(usd):
            self.unpriced_calls += 1
        else:
            self.spent += usd
            if self.limit_usd is not None and self.spent > self.limit_usd:
                self.exceeded = True
        return not self.exceeded

    @property
    def remaining(self) -> float | None:
        return None if self.limit_usd is None else self.limit_usd - self.spent

    def error(self, requests_done: int | None = None) -> BudgetExceeded:
        """The error the engine raises after stopping: says what was spent and what was kept."""
        done = f" after {requests_done:,} requests" if requests_done is not None else ""
        unpriced = (
            f" ({self.unpriced_calls:,} calls to unpriced models not counted)"
            if self.unpriced_calls
            else ""
        )
        return BudgetExceeded(
            f"per-run budget of ${self.limit_usd:,.4f} spent: ${self.spent:,.4f}{done}"
            f"{unpriced}; the run stopped early and its samples were kept"
        )


class ModelSelector:
    """Picks the model a request can afford under ``budget.per_request_usd``.

    A request whose estimated cost fits keeps its model. Otherwise the candidate with the
    highest quality whose estimated cost fits is chosen (ties: the cheaper one), and the
    change is reported as a downgrade. When nothing fits, the cheapest of the candidates and
    the requested model is chosen. A requested model without a price cannot be judged and is
    kept.
    """

    def __init__(
        self, table: PriceTable, config: BudgetConfig, served: Iterable[str] | None = None
    ) -> None:
        self._table = table
        self._limit = config.per_request_usd if config.downgrades else None
        names = list(config.candidates) or list(served or ()) or table.names()
        overrides = {self._key(name): q for name, q in config.quality.items()}
        ranked: list[tuple[float, str, ModelPrice]] = []
        for name in dict.fromkeys(names):
            price = table.lookup(name)
            if price is None:
                continue  # an unpriced candidate's cost cannot be compared with the limit
            quality = overrides.get(self._key(name), price.quality)
            if quality is None:
                if not (config.candidates or served):
                    continue  # embeddings and the like in the shipped table
                quality = UNKNOWN_QUALITY
            ranked.append((quality, name, price))
        ranked.sort(key=lambda r: (-r[0], r[2].input + r[2].output))
        self._ranked = ranked

    def _key(self, name: str) -> str:
        return self._table.canonical(name) or name

    @property
    def candidates(self) -> list[tuple[str, float]]:
        """(model, quality), best first."""
        return [(name, q) for q, name, _ in self._ranked]

    def choose(
        self, requested_model: str, est_prompt_tokens: int, est_output_tokens: int
    ) -> tuple[str, bool]:
        """The model to call and whether it differs from the requested one."""
        if self._limit is None:
            return requested_model, False
        own = call_cost(self._table.lookup(requested_model), est_prompt_tokens, est_output_tokens)
        if own is None or own <= self._limit:
            return requested_model, False
        cheapest = (own, requested_model)
        for _, name, price in self._ranked:
            cost = call_cost(price, est_prompt_tokens, est_output_tokens)
            if cost is None:
                continue
            if cost <= self._limit:
                return name, name != requested_model
            if cost < cheapest[0]:
                cheapest = (cost, name)
        return cheapest[1], cheapest[1] != requested_model
