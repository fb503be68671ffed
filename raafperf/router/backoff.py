"""How long to leave a provider alone after it answered 429."""

from __future__ import annotations

import random

from raafperf.router.config import BackoffConfig


def backoff_delay(
    config: BackoffConfig, n: int, rng: random.Random, retry_after_s: float | None = None
) -> float:
    """The delay after the ``n``-th 429 of a request (n ≥ 1), in seconds.

    Retry-After wins when the config respects it; otherwise base × 2^(n-1), multiplied by a
    jitter factor in [1 - jitter, 1 + jitter] (so concurrent callers spread out), capped.
    """
    if retry_after_s is not None and config.respect_retry_after:
        return max(0.0, retry_after_s)
    delay = config.base_s * 2.0 ** min(n - 1, 62)
    if config.jitter:
        delay *= 1.0 + config.jitter * (2.0 * rng.random() - 1.0)
    return min(config.max_s, delay)
