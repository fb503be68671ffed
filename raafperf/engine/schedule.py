"""Pure schedules: which query each request sends and when open-loop requests are due.

Seeded and free of I/O and clocks, so a run's workload is reproducible and testable.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence


class QueryPicker:
    """Draws query indices by weight, reproducibly from a seed."""

    def __init__(self, weights: Sequence[float], seed: int) -> None:
        if not weights:
            raise ValueError("no queries")
        self._cum = list(itertools.accumulate(weights))
        self._rng = random.Random(seed)
        self._n = len(weights)

    def next(self) -> int:
        x = self._rng.random() * self._cum[-1]
        # bisect on cumulative weights: O(log n) without allocations.
        lo, hi = 0, self._n - 1
        cum = self._cum
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        return lo


def arrival_offsets(rate: float, arrival: str, seed: int) -> Iterator[float]:
    """Seconds from the start at which each open-loop request is due.

    ``poisson``: exponential gaps with mean 1/rate; ``constant``: exactly 1/rate apart.
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    t = 0.0
    if arrival == "constant":
        gap = 1.0 / rate
        for i in itertools.count():
            yield i * gap
    rng = random.Random(seed)
    while True:
        yield t
        t += -math.log(1.0 - rng.random()) / rate


def split_evenly(total: int, parts: int) -> list[int]:
    """Split a count into ``parts`` shares that differ by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
