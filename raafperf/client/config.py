"""The ``client:`` section of a provider: the pooled HTTP client and its retry policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from raafperf.scenario.base import StrictModel

RetryClass = Literal["timeout", "connection", "429", "5xx", "stream_cut"]
RETRY_CLASSES: tuple[str, ...] = ("timeout", "connection", "429", "5xx", "stream_cut")


class Timeouts(StrictModel):
    """Seconds; null means no limit."""

    connect: float | None = Field(default=10.0, gt=0)
    read: float | None = Field(default=120.0, gt=0)
    """Longest silence between two reads (a streamed answer may take longer in total)."""
    write: float | None = Field(default=30.0, gt=0)
    pool: float | None = Field(default=30.0, gt=0)
    """Longest wait for a free connection when the pool is full."""


class RetryBudget(StrictModel):
    """Caps retries at a share of requests over a sliding window, plus a small reserve.

    Like Finagle's RetryBudget: a retry is allowed while
    ``retries_in_window < ratio * requests_in_window + min_per_second * window_s``.
    So a provider failing every request cannot make retries multiply the load.
    """

    ratio: float = Field(default=0.2, ge=0)
    """Retries allowed per first attempt (0.2 = at most 20% extra load)."""
    min_per_second: float = Field(default=1.0, ge=0)
    """Retries always allowed per second, so a low-traffic client can still retry."""
    window_s: float = Field(default=10.0, gt=0)


class RetryPolicy(StrictModel):
    max_attempts: int = Field(default=1, ge=1)
    """Attempts per call including the first; 1 means no retries."""
    retry_on: list[RetryClass] = Field(
        default_factory=lambda: ["timeout", "connection", "429", "5xx", "stream_cut"]
    )
    """Fault classes worth another attempt. A stream that already delivered a token is never
    retried, whatever its fault."""
    backoff_base_s: float = Field(default=0.1, ge=0)
    backoff_multiplier: float = Field(default=2.0, ge=1)
    backoff_cap_s: float = Field(default=10.0, ge=0)
    jitter: Literal["full", "equal", "none"] = "full"
    respect_retry_after: bool = True
    """Wait at least what a 429/503 ``Retry-After`` asks."""
    max_retry_after_s: float = Field(default=60.0, ge=0)
    """A ``Retry-After`` longer than this ends the call instead of waiting."""
    budget: RetryBudget | None = RetryBudget()
    """null disables the budget (every attempt allowed)."""

    @field_validator("retry_on")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("retry_on lists a class twice")
        return value

    @model_validator(mode="after")
    def _cap_covers_base(self) -> RetryPolicy:
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must be at least backoff_base_s")
        return self


class ClientConfig(StrictModel):
    pool: bool = True
    """False opens a fresh connection for every request (to measure what pooling buys)."""
    max_connections: int = Field(default=100, ge=1)
    max_keepalive_connections: int = Field(default=100, ge=0)
    keepalive_expiry: float = Field(default=30.0, ge=0)
    """Seconds an idle connection stays in the pool."""
    timeouts: Timeouts = Timeouts()
    retries: RetryPolicy = RetryPolicy()
    http2: bool = False
    """HTTP/2 through ALPN (TLS endpoints only; the httpx transport only)."""
    accept_gzip: bool = False
    """Send ``Accept-Encoding: gzip`` (otherwise ``identity``) and decode compressed answers."""
    compress_requests: bool = False
    """Gzip request bodies (``Content-Encoding: gzip``); only for endpoints that accept it."""
    ca_file: str | None = None
    """A PEM bundle to trust (the simulator's CA is filled in at run time)."""
    verify: bool = True
    """False skips TLS certificate checks (never for real providers)."""
    transport: Literal["auto", "httpx", "aiohttp"] = "auto"
    """The connection layer under the httpx client API: httpx's own (httpcore) or aiohttp's.
    auto picks the faster one measured on this project (see the client README)."""
