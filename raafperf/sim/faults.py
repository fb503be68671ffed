"""Which fault, if any, hits a request. Pure logic: plain values and an injected clock."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from raafperf.sim.config import Endpoint, FaultSpec
from raafperf.sim.sampling import derive_seed

# Faults that change an answer's stream rather than replacing the answer.
STREAM_FAULTS = frozenset({"reset_mid_stream", "cut_stream", "malformed_event"})
HTTP_STATUS = {"http_429": 429, "http_500": 500, "http_502": 502, "http_503": 503, "http_529": 529}


class _Rule:
    __slots__ = ("count", "rng", "spec")

    def __init__(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self.count = 0
        self.rng = random.Random(seed)


class FaultPlan:
    """Evaluates every fault for each request (so each keeps its own count and random stream)
    and returns the first one that fires, in list order."""

    def __init__(
        self,
        faults: Sequence[FaultSpec],
        seed: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rules = [_Rule(f, derive_seed(seed, "fault", i)) for i, f in enumerate(faults)]
        self._clock = clock
        # Windows count from the provider's first request, not from start-up: "an outage
        # from 10 s to 20 s" then means 10 s into the traffic, however long start-up took.
        self._start: float | None = None

    def __bool__(self) -> bool:
        return bool(self._rules)

    def select(self, endpoint: Endpoint) -> FaultSpec | None:
        chosen: FaultSpec | None = None
        now = self._clock()
        if self._start is None:
            self._start = now
        elapsed = now - self._start
        for rule in self._rules:
            spec = rule.spec
            if spec.endpoints is not None and endpoint not in spec.endpoints:
                continue
            if spec.start_s is not None and elapsed < spec.start_s:
                continue
            if spec.end_s is not None and elapsed >= spec.end_s:
                continue
            rule.count += 1
            if spec.every is not None and rule.count % spec.every:
                continue
            if spec.probability is not None and rule.rng.random() >= spec.probability:
                continue
            if chosen is None:
                chosen = spec
        return chosen
