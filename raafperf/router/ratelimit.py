"""Client-side rate limits per provider: token buckets for requests and tokens per minute.

Pure logic over an injected clock. Buckets refill continuously and hold one minute's worth,
like the providers' own limits, so a router that stays inside them is never refused for
going too fast. ``reserve`` may take a bucket below zero: callers then wait their turn in
order, each for the time its share needs to refill.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    __slots__ = ("_clock", "_level", "_updated", "capacity", "rate")

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._level = self.capacity
        self._updated = clock()

    def level(self) -> float:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
        self._updated = now
        return self._level

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` can be taken (0 when it can now). Takes nothing."""
        missing = min(amount, self.capacity) - self.level()
        # float dust after a refill must not read as "wait a femtosecond" forever
        return missing / self.rate if missing > 1e-9 * self.capacity else 0.0

    def take(self, amount: float) -> None:
        """Take ``amount`` now (the level may go below zero: later callers wait longer)."""
        self.level()
        self._level -= min(amount, self.capacity)

    def try_take(self, amount: float) -> bool:
        if self.wait_time(amount) > 0:
            return False
        self._level -= min(amount, self.capacity)
        return True


class ProviderLimiter:
    """The rpm and tpm buckets of one provider; either may be absent."""

    __slots__ = ("requests", "tokens")

    def __init__(
        self,
        rpm: float | None,
        tpm: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests = TokenBucket(rpm, clock) if rpm else None
        self.tokens = TokenBucket(tpm, clock) if tpm else None

    def wait_time(self, tokens: float) -> float:
        wait = 0.0
        if self.requests is not None:
            wait = self.requests.wait_time(1)
        if self.tokens is not None:
            wait = max(wait, self.tokens.wait_time(tokens))
        return wait

    def take(self, tokens: float) -> None:
        if self.requests is not None:
            self.requests.take(1)
        if self.tokens is not None:
            self.tokens.take(tokens)


def estimate_tokens(messages: list[dict], max_tokens: int | None, default_output: int) -> int:
    """Tokens a request is charged against tpm: ~4 characters a token in, plus max out.

    Providers charge max_tokens up front too; a rough input count is enough to stay under.
    """
    chars = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    chars += len(part["text"])
    return chars // 4 + 1 + (max_tokens if max_tokens is not None else default_output)
