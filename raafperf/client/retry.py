"""When to try a call again and how long to wait: pure logic, injected clock and random.

Backoff is exponential with a cap and jitter (AWS's "full" and "equal" jitter); a
``Retry-After`` (seconds or an HTTP date) is honoured; a :class:`RetryBudget` keeps retries
to a share of requests so that a failing provider cannot have its load multiplied.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from raafperf.client import error_kinds as ek
from raafperf.client.config import RetryBudget as RetryBudgetConfig
from raafperf.client.config import RetryPolicy


def retry_class(kind: str | None) -> str | None:
    """The ``retry_on`` class an error kind belongs to, or None when it is never retried."""
    if kind is None:
        return None
    if kind in ek.TIMEOUTS:
        return "timeout"
    if kind in ek.CONNECTION:
        return "connection"
    if kind == "http_429":
        return "429"
    if ek.is_server_error(kind):
        return "5xx"
    if kind == ek.STREAM_CUT:
        return "stream_cut"
    return None


def parse_retry_after(value: str | None, now_wall: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now_wall()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def backoff_delay(policy: RetryPolicy, retry_no: int, rand: Callable[[], float]) -> float:
    """Delay before retry number ``retry_no`` (1 for the first retry), jittered and capped."""
    base = policy.backoff_base_s * policy.backoff_multiplier ** (retry_no - 1)
    delay = min(policy.backoff_cap_s, base)
    if policy.jitter == "full":
        return delay * rand()
    if policy.jitter == "equal":
        return delay / 2 + delay / 2 * rand()
    return delay


class RetryBudget:
    """Finagle-style retry budget over a sliding window of one-second buckets.

    ``deposit()`` once per call (first attempts), ``try_withdraw()`` before each retry.
    """

    __slots__ = (
        "_buckets",
        "_clock",
        "_ratio",
        "_reserve",
        "_width",
        "refused",
        "requests",
        "retries",
    )

    def __init__(
        self, config: RetryBudgetConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._ratio = config.ratio
        self._reserve = config.min_per_second * config.window_s
        self._width = max(1, round(config.window_s))
        self._buckets: dict[int, list[int]] = {}
        """second -> [requests, retries]; only the last ``window_s`` seconds are kept."""
        self.requests = 0
        self.retries = 0
        self.refused = 0

    def _bucket(self) -> list[int]:
        now = int(self._clock())
        bucket = self._buckets.get(now)
        if bucket is None:
            oldest = now - self._width
            for second in [s for s in self._buckets if s <= oldest]:
                del self._buckets[second]
            bucket = self._buckets[now] = [0, 0]
        return bucket

    def deposit(self) -> None:
        self._bucket()[0] += 1
        self.requests += 1

    def balance(self) -> float:
        """Retries still allowed in the current window."""
        self._bucket()
        requests = sum(b[0] for b in self._buckets.values())
        retries = sum(b[1] for b in self._buckets.values())
        return self._ratio * requests + self._reserve - retries

    def try_withdraw(self) -> bool:
        if self.balance() < 1:
            self.refused += 1
            return False
        self._bucket()[1] += 1
        self.retries += 1
        return True


class RetryDecider:
    """Applies a policy to one failed attempt: retry after how long, or stop (and why)."""

    __slots__ = ("_classes", "_policy", "_rand", "_wall", "budget")

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._policy = policy
        self._classes = frozenset(policy.retry_on)
        self._rand = rand
        self._wall = wall
        self.budget = RetryBudget(policy.budget, clock) if policy.budget is not None else None

    @property
    def max_attempts(self) -> int:
        return self._policy.max_attempts

    def start_call(self) -> None:
        if self.budget is not None:
            self.budget.deposit()

    def next_delay(
        self,
        kind: str,
        attempt: int,
        *,
        after_first_token: bool = False,
        retry_after: str | None = None,
    ) -> tuple[float | None, str]:
        """(seconds to wait before attempt ``attempt + 1``, "") or (None, why not).

        ``attempt`` counts from 1.
        """
        if retry_class(kind) not in self._classes:
            return None, ""
        if attempt >= self._policy.max_attempts:
            return None, "attempts exhausted" if self._policy.max_attempts > 1 else ""
        if after_first_token:
            return None, "output already streamed"
        delay = backoff_delay(self._policy, attempt, self._rand)
        if self._policy.respect_retry_after and retry_after is not None:
            wanted = parse_retry_after(retry_after, self._wall)
            if wanted is not None:
                if wanted > self._policy.max_retry_after_s:
                    return None, f"Retry-After {wanted:.0f}s exceeds max_retry_after_s"
                delay = max(delay, wanted)
        if self.budget is not None and not self.budget.try_withdraw():
            return None, "retry budget exhausted"
        return delay, ""
