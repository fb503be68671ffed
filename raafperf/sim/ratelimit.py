"""Requests-per-minute and tokens-per-minute limits, refilled continuously like the real APIs.

Pure logic with an injected clock; the surfaces turn a ``Verdict`` into their own headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from raafperf.sim.config import RateLimits


class _Bucket:
    __slots__ = ("capacity", "level", "rate", "updated")

    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.rate = per_minute / 60.0
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def seconds_until(self, amount: float) -> float:
        """Time until ``amount`` is available (0 when it already is)."""
        missing = min(amount, self.capacity) - self.level
        return max(0.0, missing / self.rate)

    def seconds_to_full(self) -> float:
        return (self.capacity - self.level) / self.rate


@dataclass(frozen=True, slots=True)
class BucketState:
    limit: int
    remaining: int
    reset_s: float


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: float
    requests: BucketState | None
    tokens: BucketState | None
    which: str | None = None  # "requests" or "tokens" when refused


class RateLimiter:
    """Admits a request if one request and ``tokens`` tokens are available, and takes them."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._requests = _Bucket(limits.rpm, now) if limits.rpm else None
        self._tokens = _Bucket(limits.tpm, now) if limits.tpm else None

    def admit(self, tokens: int) -> Verdict:
        now = self._clock()
        waits: dict[str, float] = {}
        for name, bucket, amount in (
            ("requests", self._requests, 1),
            ("tokens", self._tokens, tokens),
        ):
            if bucket is not None:
                bucket.refill(now)
                waits[name] = bucket.seconds_until(amount)
        refused = {k: v for k, v in waits.items() if v > 0}
        if not refused:
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= min(tokens, self._tokens.capacity)
        which = max(refused, key=lambda k: refused[k]) if refused else None
        return Verdict(
            allowed=not refused,
            retry_after_s=max(refused.values()) if refused else 0.0,
            requests=self._state(self._requests),
            tokens=self._state(self._tokens),
            which=which,
        )

    @staticmethod
    def _state(bucket: _Bucket | None) -> BucketState | None:
        if bucket is None:
            return None
        return BucketState(
            limit=int(bucket.capacity),
            remaining=max(0, math.floor(bucket.level)),
            reset_s=bucket.seconds_to_full(),
        )
