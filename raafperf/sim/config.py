"""Configuration of one simulated provider: its latency model, faults, limits and transport.

This model is embedded in the scenario as ``providers[].simulator`` and is also what
``raafperf simulate`` reads, so the simulator can run with no scenario at all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from raafperf.scenario.base import StrictModel


class Distribution(StrictModel):
    """A distribution of a non-negative quantity (milliseconds or a count).

    ``constant`` uses ``value``; ``normal`` uses ``mean`` and ``stddev`` (clipped at 0);
    ``lognormal`` uses ``median`` and ``p99``; ``uniform`` uses ``min`` and ``max``.
    A bare number in YAML means ``constant``.
    """

    dist: Literal["constant", "normal", "lognormal", "uniform"] = "constant"
    value: float | None = Field(default=None, ge=0)
    mean: float | None = Field(default=None, ge=0)
    stddev: float | None = Field(default=None, ge=0)
    median: float | None = Field(default=None, gt=0)
    p99: float | None = Field(default=None, gt=0)
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _scalar_is_constant(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"dist": "constant", "value": data}
        return data

    @model_validator(mode="after")
    def _needs_its_parameters(self) -> Distribution:
        needed = {
            "constant": ("value",),
            "normal": ("mean", "stddev"),
            "lognormal": ("median", "p99"),
            "uniform": ("min", "max"),
        }[self.dist]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        if self.dist == "lognormal" and (self.p99 or 0) < (self.median or 0):
            raise ValueError("p99 must be at least the median")
        if self.dist == "uniform" and (self.max or 0) < (self.min or 0):
            raise ValueError("max must be at least min")
        return self


class LatencyModel(StrictModel):
    """How long the simulated model takes: first token, each gap, and how many tokens."""

    ttft_ms: Distribution = Distribution(value=50)
    itl_ms: Distribution = Distribution(value=10)
    output_tokens: Distribution = Distribution(value=16)


FaultKind = Literal[
    "http_429",
    "http_500",
    "http_502",
    "http_503",
    "http_529",
    "hang",
    "reset_before",
    "reset_mid_stream",
    "cut_stream",
    "malformed_event",
    "slow_headers",
]

Endpoint = Literal["chat_completions", "messages", "embeddings", "models"]
ENDPOINTS: tuple[Endpoint, ...] = ("chat_completions", "messages", "embeddings", "models")


class FaultSpec(StrictModel):
    """One injected failure and which requests it hits.

    Every selector given must hold (endpoint filter, time window, every Nth, probability);
    a fault with no selector hits every request. Faults are tried in list order and at most
    one applies to a request.
    """

    kind: FaultKind
    probability: float | None = Field(default=None, ge=0, le=1)
    every: int | None = Field(default=None, ge=1, description="every Nth matching request")
    start_s: float | None = Field(
        default=None, ge=0, description="window start, seconds after the first request"
    )
    end_s: float | None = Field(
        default=None, gt=0, description="window end, seconds after the first request"
    )
    endpoints: list[Endpoint] | None = Field(
        default=None, description="default: every endpoint, GET /v1/models included"
    )
    retry_after_s: float | None = Field(default=None, ge=0, description="Retry-After on 429")
    delay_ms: float = Field(default=1000, ge=0, description="how long slow_headers waits")

    @model_validator(mode="after")
    def _window_is_ordered(self) -> FaultSpec:
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        if self.retry_after_s is not None and self.kind != "http_429":
            raise ValueError("retry_after_s only applies to kind http_429")
        return self


class RateLimits(StrictModel):
    """Per-provider limits enforced like the real services (continuously refilled buckets)."""

    rpm: int | None = Field(default=None, ge=1, description="requests per minute")
    tpm: int | None = Field(default=None, ge=1, description="tokens per minute (in + max out)")

    @model_validator(mode="after")
    def _at_least_one(self) -> RateLimits:
        if self.rpm is None and self.tpm is None:
            raise ValueError("rate_limits needs rpm, tpm or both")
        return self


class SimulatorConfig(StrictModel):
    """Everything about one simulated provider except its name and models.

    Every provider serves both the OpenAI and the Anthropic API.
    """

    latency: LatencyModel = LatencyModel()
    faults: list[FaultSpec] = Field(default_factory=list)
    rate_limits: RateLimits | None = None
    connection_cost_ms: float = Field(
        default=0, ge=0, description="paid once per new connection, before its first response"
    )
    tls: bool = False
    embedding_dim: int = Field(default=256, ge=1, le=8192)
    tool_rounds: int = Field(
        default=1, ge=0, le=100, description="tool-call rounds when a request offers tools"
    )
    seed: int | None = Field(default=None, description="default: the simulator's seed")
