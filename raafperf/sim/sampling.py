"""Seeded draws from the latency model's distributions."""

from __future__ import annotations

import hashlib
import math
import random

from raafperf.sim.config import Distribution, LatencyModel

# z of the 99th percentile of the standard normal: sigma = ln(p99 / median) / Z99
Z99 = 2.3263478740408408


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class Sampler:
    """Draws one value of a Distribution at a time from a seeded generator."""

    __slots__ = ("_draw", "constant")

    def __init__(self, dist: Distribution, rng: random.Random) -> None:
        self.constant: float | None = None
        if dist.dist == "constant":
            value = float(dist.value or 0.0)
            self.constant = value
            self._draw = lambda: value
        elif dist.dist == "normal":
            mean, sd = float(dist.mean or 0), float(dist.stddev or 0)
            self._draw = lambda: max(0.0, rng.gauss(mean, sd))
        elif dist.dist == "lognormal":
            median, p99 = float(dist.median or 1), float(dist.p99 or 1)
            mu, sigma = math.log(median), math.log(p99 / median) / Z99
            self._draw = lambda: rng.lognormvariate(mu, sigma)
        else:
            lo, hi = float(dist.min or 0), float(dist.max or 0)
            self._draw = lambda: rng.uniform(lo, hi)

    def __call__(self) -> float:
        return self._draw()


class LatencySampler:
    """Per-request timing plan: TTFT, the gaps between tokens, and the output length."""

    def __init__(self, model: LatencyModel, seed: int) -> None:
        rng = random.Random(seed)
        self.ttft_ms = Sampler(model.ttft_ms, rng)
        self.itl_ms = Sampler(model.itl_ms, rng)
        self.output_tokens = Sampler(model.output_tokens, rng)

    def tokens(self) -> int:
        return max(1, round(self.output_tokens()))

    def offsets_ns(self, n: int) -> list[int]:
        """Send offsets of n tokens from the start of generation (first one is the TTFT)."""
        at = self.ttft_ms() * 1e6
        offsets = [round(at)]
        itl = self.itl_ms.constant
        for _ in range(n - 1):
            at += (itl if itl is not None else self.itl_ms()) * 1e6
            offsets.append(round(at))
        return offsets
