"""The ``router:`` section of a scenario: strategy, breakers, fallback, health, rate limits.

Every field has a default, so ``router: {strategy: weighted}`` (e.g. in a variant) is a
complete section. Error classes (``count``, ``retry_on``) are lists of group names or exact
error kinds; see :mod:`raafperf.router.errorclass`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from raafperf.router.errorclass import check_patterns
from raafperf.scenario.base import StrictModel

Strategy = Literal[
    "round_robin", "random", "weighted", "priority", "least_latency", "least_busy", "cost"
]


class BreakerConfig(StrictModel):
    """A circuit breaker per provider: closed → open → (health check) → half-open → closed."""

    enabled: bool = True
    failure_threshold: int | None = Field(default=None, ge=1)
    """Open after this many counted failures within ``window_s`` (count mode)."""
    failure_rate: float | None = Field(default=0.5, gt=0, le=1)
    """Open when this share of calls within ``window_s`` failed (rate mode) ..."""
    min_calls: int = Field(default=10, ge=1)
    """... and at least this many calls were seen in the window."""
    window_s: float = Field(default=10.0, gt=0)
    """The window both rules look at: the calls of the last ``window_s`` seconds ..."""
    window_calls: int | None = Field(default=None, ge=1)
    """... or, when set, the last ``window_calls`` calls (reacts in calls, not seconds)."""
    reset_timeout_s: float = Field(default=5.0, gt=0)
    """How long a provider stays open before it is health-checked and probed."""
    half_open_max_calls: int = Field(default=1, ge=1)
    """Probe calls admitted at once while half-open; other callers go elsewhere."""
    success_threshold: int = Field(default=1, ge=1)
    """Successful probes needed to close again."""
    count: list[str] = Field(default_factory=lambda: ["5xx", "timeouts", "connection", "stream"])
    """Which errors count as failures (groups or exact kinds); others are neutral."""

    @field_validator("count")
    @classmethod
    def _known_count(cls, value: list[str]) -> list[str]:
        return check_patterns(value)

    @model_validator(mode="after")
    def _has_a_trip_rule(self) -> BreakerConfig:
        if self.enabled and self.failure_threshold is None and self.failure_rate is None:
            raise ValueError("an enabled breaker needs failure_threshold and/or failure_rate")
        if self.window_calls is not None:
            if self.failure_threshold is not None and self.failure_threshold > self.window_calls:
                raise ValueError("failure_threshold cannot exceed window_calls")
            if self.failure_rate is not None and self.min_calls > self.window_calls:
                raise ValueError("min_calls cannot exceed window_calls")
        return self


class BackoffConfig(StrictModel):
    """Delay before trying a provider again after a 429: exponential, jittered, capped."""

    base_s: float = Field(default=0.5, gt=0)
    max_s: float = Field(default=8.0, gt=0)
    jitter: float = Field(default=0.5, ge=0, le=1)
    """The delay is multiplied by a uniform factor in [1 - jitter, 1 + jitter]."""
    respect_retry_after: bool = True
    """Use the provider's Retry-After instead, when the call result carries one."""


class HealthConfig(StrictModel):
    enabled: bool = True
    """An open provider must pass ``health_check()`` before it is probed with real calls."""
    timeout_s: float = Field(default=2.0, gt=0)


class RateLimitPolicy(StrictModel):
    """How the router keeps under each provider's ``rate_limit`` (rpm / tpm)."""

    on_limit: Literal["reroute", "wait"] = "reroute"
    """reroute: skip a provider out of budget and pick another (wait only when all are);
    wait: keep the strategy's choice and wait for its budget."""
    max_wait_s: float = Field(default=30.0, ge=0)
    """A request waiting longer than this (rate limits, backoff) fails instead."""
    estimated_output_tokens: int = Field(default=256, ge=0)
    """Output tokens charged to tpm when a request sets no max_tokens."""


class LatencyConfig(StrictModel):
    """least_latency: an exponentially weighted moving average per provider."""

    metric: Literal["ttft", "e2e"] = "ttft"
    """ttft falls back to e2e for a call without a first token (non-streaming)."""
    alpha: float = Field(default=0.3, gt=0, le=1)
    buffer: float = Field(default=0.1, ge=0)
    """Providers within (1 + buffer) × the best average share the traffic at random."""


class ProviderRouting(StrictModel):
    """Per-provider overrides of what ``providers[]`` says (handy in variants)."""

    weight: float | None = Field(default=None, gt=0)
    priority: int | None = None
    price: float | None = Field(default=None, ge=0)
    """Price for the cost strategy (any unit used consistently); overrides the price table."""


class RouterConfig(StrictModel):
    strategy: Strategy = "round_robin"
    max_attempts: int = Field(default=3, ge=1)
    """Provider calls per request, the first included."""
    retry_on: list[str] = Field(
        default_factory=lambda: ["5xx", "http_429", "timeouts", "connection", "stream"]
    )
    """Errors that move the request to the next provider (stream_broken never does)."""
    retry_same_provider: bool = False
    """After every eligible provider was tried, try them again (after a backoff)."""
    breaker: BreakerConfig = BreakerConfig()
    backoff: BackoffConfig = BackoffConfig()
    health: HealthConfig = HealthConfig()
    rate_limit: RateLimitPolicy = RateLimitPolicy()
    least_latency: LatencyConfig = LatencyConfig()
    providers: dict[str, ProviderRouting] = Field(default_factory=dict)
    traffic_bucket_s: float = Field(default=1.0, gt=0)
    """Width of the per-provider traffic histogram in the report."""

    @field_validator("retry_on")
    @classmethod
    def _known_retry_on(cls, value: list[str]) -> list[str]:
        return check_patterns(value)
