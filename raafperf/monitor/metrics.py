"""Live counters and histograms fed once per request, cheap enough for the hot path.

``on_request`` takes a lock, bumps a few dict entries and two histogram buckets (bisect on
fixed bounds) and returns: a few microseconds. Nothing is formatted here; a scrape takes a
``snapshot`` (plain dicts, picklable, so worker processes can send theirs to the parent) and
renders it elsewhere. Snapshots merge exactly: counts and sums add up.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any

TTFT_BUCKETS_MS: tuple[float, ...] = (
    5,
    10,
    25,
    50,
    75,
    100,
    150,
    200,
    300,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    10000,
)
E2E_BUCKETS_MS: tuple[float, ...] = (
    50,
    100,
    250,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    7500,
    10000,
    15000,
    20000,
    30000,
    60000,
    120000,
)

Histograms = dict[tuple[str, str], list[float]]
"""(variant, agent) -> [count per bucket ..., count above the last bound, sum in ms]."""


class LiveMetrics:
    """What the exporter knows of the requests recorded so far (one process's share)."""

    def __init__(
        self,
        ttft_buckets_ms: Sequence[float] = TTFT_BUCKETS_MS,
        e2e_buckets_ms: Sequence[float] = E2E_BUCKETS_MS,
    ) -> None:
        self.ttft_buckets_ms = tuple(float(b) for b in ttft_buckets_ms)
        self.e2e_buckets_ms = tuple(float(b) for b in e2e_buckets_ms)
        for bounds in (self.ttft_buckets_ms, self.e2e_buckets_ms):
            if list(bounds) != sorted(set(bounds)):
                raise ValueError("histogram bounds must be strictly increasing")
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str, str], int] = {}
        self._errors: dict[tuple[str, str], int] = {}
        self._cache: dict[tuple[str, str], int] = {}
        self._cost: dict[tuple[str, str], float] = {}
        self._unpriced: dict[str, int] = {}
        self._ttft: Histograms = {}
        self._e2e: Histograms = {}
        self._in_flight = 0

    def on_request(
        self,
        variant: str,
        agent: str,
        provider: str,
        ok: bool,
        error_kind: str,
        ttft_ms: float,
        e2e_ms: float,
        cache: str,
        cost_usd: float,
        in_flight: int,
    ) -> None:
        """Count one finished request. NaN (or None) TTFT or cost is left out of its metric;
        an unpriced request is counted as such."""
        with self._lock:
            key = (variant, agent, provider, "ok" if ok else "error")
            requests = self._requests
            requests[key] = requests.get(key, 0) + 1
            if not ok:
                ekey = (variant, error_kind or "unknown")
                self._errors[ekey] = self._errors.get(ekey, 0) + 1
            hkey = (variant, agent)
            if ttft_ms is not None and ttft_ms == ttft_ms:  # not NaN
                h = self._ttft.get(hkey)
                if h is None:
                    h = self._ttft[hkey] = [0.0] * (len(self.ttft_buckets_ms) + 2)
                h[bisect_left(self.ttft_buckets_ms, ttft_ms)] += 1
                h[-1] += ttft_ms
            if e2e_ms is not None and e2e_ms == e2e_ms:
                h = self._e2e.get(hkey)
                if h is None:
                    h = self._e2e[hkey] = [0.0] * (len(self.e2e_buckets_ms) + 2)
                h[bisect_left(self.e2e_buckets_ms, e2e_ms)] += 1
                h[-1] += e2e_ms
            outcome = cache.partition(":")[0] if cache else "off"
            ckey = (variant, outcome)
            self._cache[ckey] = self._cache.get(ckey, 0) + 1
            if cost_usd is not None and cost_usd == cost_usd:
                self._cost[hkey] = self._cost.get(hkey, 0.0) + cost_usd
            else:
                self._unpriced[variant] = self._unpriced.get(variant, 0) + 1
            self._in_flight = in_flight

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def set_in_flight(self, in_flight: int) -> None:
        self._in_flight = in_flight

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of everything counted so far (picklable)."""
        with self._lock:
            return {
                "ttft_buckets_ms": self.ttft_buckets_ms,
                "e2e_buckets_ms": self.e2e_buckets_ms,
                "requests": dict(self._requests),
                "errors": dict(self._errors),
                "cache": dict(self._cache),
                "cost_usd": dict(self._cost),
                "unpriced": dict(self._unpriced),
                "ttft": {k: list(v) for k, v in self._ttft.items()},
                "e2e": {k: list(v) for k, v in self._e2e.items()},
                "in_flight": self._in_flight,
            }


def empty_snapshot() -> dict[str, Any]:
    return LiveMetrics().snapshot()


def merge_snapshots(snapshots: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add snapshots of several processes up (histograms with other bounds are left out)."""
    snapshots = list(snapshots)
    if not snapshots:
        return empty_snapshot()
    out = {
        "ttft_buckets_ms": snapshots[0]["ttft_buckets_ms"],
        "e2e_buckets_ms": snapshots[0]["e2e_buckets_ms"],
        "in_flight": 0,
    }
    for name in ("requests", "errors", "cache", "cost_usd", "unpriced"):
        total: dict[Any, Any] = {}
        for snap in snapshots:
            for key, value in snap.get(name, {}).items():
                total[key] = total.get(key, 0) + value
        out[name] = total
    for name in ("ttft", "e2e"):
        bounds = out[f"{name}_buckets_ms"]
        hists: Histograms = {}
        for snap in snapshots:
            if tuple(snap.get(f"{name}_buckets_ms", ())) != tuple(bounds):
                continue
            for key, values in snap.get(name, {}).items():
                h = hists.get(key)
                if h is None:
                    hists[key] = list(values)
                else:
                    for i, v in enumerate(values):
                        h[i] += v
        out[name] = hists
    out["in_flight"] = sum(int(s.get("in_flight", 0)) for s in snapshots)
    return out
