"""The ``budget:`` section of a scenario."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from raafperf.scenario.base import StrictModel


class BudgetConfig(StrictModel):
    """Spending limits in USD, and what a per-request limit does.

    ``per_run_usd``: once the run has spent more, it stops scheduling, keeps its samples and
    exits 1. ``per_request_usd`` with ``per_request_action: downgrade`` (the default) sends a
    request whose estimated cost is over the limit to the best-quality candidate model that
    fits; with ``report`` it only counts the requests that went over.
    """

    per_run_usd: float | None = Field(default=None, gt=0)
    per_request_usd: float | None = Field(default=None, gt=0)
    per_request_action: Literal["downgrade", "report"] = "downgrade"
    candidates: list[str] = Field(default_factory=list)
    """Models a downgrade may pick; default: every model the scenario's providers serve."""
    quality: dict[str, Annotated[float, Field(ge=0, le=100)]] = Field(default_factory=dict)
    """0-100 quality score per model, over the price table's rough defaults."""
    output_tokens_estimate: int = Field(default=256, ge=1)
    """Output tokens assumed when estimating a request's cost and the agent sets no max_tokens."""

    @property
    def downgrades(self) -> bool:
        return self.per_request_usd is not None and self.per_request_action == "downgrade"
