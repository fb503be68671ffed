"""GC monitoring cheap enough for every run: one ``gc.callbacks`` hook, raw pauses in arrays.

The hook stores each collection's start (``perf_counter_ns``), duration and generation in
``array('q')`` buffers: two Python calls and three appends per collection, nothing per request.
Which requests a pause delayed is worked out afterwards from the requests' [start, end]
windows with sorted arrays and ``searchsorted`` (O((n + m) log m)), so the request path pays
nothing. A pause counts against a request when their intervals overlap; on one event-loop
thread a pause blocks every request in flight, so that is exactly the set it delayed.

One monitor per process: a pause only delays requests of the process it ran in, so each
worker summarises against its own requests and :func:`merge_gc_summaries` adds them up.
"""

from __future__ import annotations

import gc
import time
from array import array
from collections.abc import Callable, Sequence
from typing import Any

MAX_PAUSES = 2_000_000
"""Raw pauses kept (~50 MB at most, ~25 bytes each); beyond it only the count goes on."""


class GcMonitor:
    """Record every collection while started; ``summary()`` turns them into figures.

    It can be started and stopped several times (a variant that runs in several segments):
    pauses accumulate, and so does the monitored time.
    """

    def __init__(self, clock_ns: Callable[[], int] = time.perf_counter_ns) -> None:
        self._clock = clock_ns
        self._starts = array("q")
        self._durations = array("q")
        self._generations = array("b")
        self._collected = array("q")
        self._t0 = 0
        self._dropped = 0
        self._mark = 0
        self._since_ns: int | None = None
        self._monitored_ns = 0

    # -- recording -------------------------------------------------------------------------
    def start(self) -> None:
        if self._since_ns is not None:
            return
        self._mark = len(self._starts)
        self._since_ns = self._clock()
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        if self._since_ns is None:
            return
        gc.callbacks.remove(self._on_gc)
        self._monitored_ns += self._clock() - self._since_ns
        self._since_ns = None

    def discard_since_start(self) -> None:
        """Forget the pauses since the last ``start()`` (warm-up) and count time from now."""
        for buf in (self._starts, self._durations, self._generations, self._collected):
            del buf[self._mark :]
        if self._since_ns is not None:
            self._since_ns = self._clock()

    def __enter__(self) -> GcMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = self._clock()
            return
        duration = self._clock() - self._t0
        if len(self._starts) < MAX_PAUSES:
            self._starts.append(self._t0)
            self._durations.append(duration)
            self._generations.append(info["generation"])
            self._collected.append(info["collected"])
        else:
            self._dropped += 1

    # -- reading ---------------------------------------------------------------------------
    @property
    def collections(self) -> int:
        return len(self._starts) + self._dropped

    def pauses(self) -> tuple[array, array, array]:
        """(start_ns, duration_ns, generation) of each recorded pause, in time order."""
        return self._starts, self._durations, self._generations

    def summary(
        self,
        starts_ns: Sequence[int] | Any | None = None,
        ends_ns: Sequence[int] | Any | None = None,
        *,
        offset_ns: int = 0,
    ) -> dict[str, Any]:
        """Figures for summary.json["variants"][v]["gc"].

        ``starts_ns``/``ends_ns``: the measured requests' windows on this process's
        ``perf_counter_ns`` clock, or relative to ``offset_ns`` (added to both).
        """
        import numpy as np

        dur = (
            np.frombuffer(self._durations, dtype=np.int64)
            if self._durations
            else np.zeros(0, np.int64)
        )
        gens = (
            np.frombuffer(self._generations, dtype=np.int8)
            if self._generations
            else (np.zeros(0, np.int8))
        )
        monitored = self._monitored_ns
        if self._since_ns is not None:
            monitored += self._clock() - self._since_ns
        by_gen = {}
        for g in range(3):
            d = dur[gens == g]
            by_gen[f"gen{g}"] = {
                "count": int(d.size),
                "total": float(d.sum()) / 1e6,
                "max": float(d.max()) / 1e6 if d.size else 0.0,
            }
        total_ms = float(dur.sum()) / 1e6
        out: dict[str, Any] = {
            "collections": {g: v["count"] for g, v in by_gen.items()} | {"total": int(dur.size)},
            "collected_objects": int(sum(self._collected)),
            "pause_ms": {
                "total": total_ms,
                "max": float(dur.max()) / 1e6 if dur.size else 0.0,
                "mean": total_ms / dur.size if dur.size else 0.0,
                "p99": _p99_ms(dur),
                "by_generation": by_gen,
            },
            "monitored_s": monitored / 1e9,
            "pause_share": total_ms / 1e3 / (monitored / 1e9) if monitored else None,
            "pauses_dropped": self._dropped,
        }
        if starts_ns is not None and ends_ns is not None:
            out["during_requests"] = overlap_with_requests(
                self._starts, self._durations, starts_ns, ends_ns, offset_ns=offset_ns
            )
        return out


def _p99_ms(durations: Any) -> float | None:
    if not len(durations):
        return None
    import numpy as np

    # nearest rank, like the rest of raafperf
    return float(np.percentile(durations, 99, method="inverted_cdf")) / 1e6


def overlap_with_requests(
    pause_starts_ns: Sequence[int] | Any,
    pause_durations_ns: Sequence[int] | Any,
    starts_ns: Sequence[int] | Any,
    ends_ns: Sequence[int] | Any,
    *,
    offset_ns: int = 0,
) -> dict[str, Any]:
    """How the pauses fell on the requests: counts and ms, exact for non-overlapping pauses.

    A pause [ps, pe) delays a request [s, e) when ps < e and pe > s.
    """
    import numpy as np

    ps = np.array(pause_starts_ns, dtype=np.int64)
    pe = ps + np.array(pause_durations_ns, dtype=np.int64)
    rs = np.array(starts_ns, dtype=np.int64) + offset_ns
    re_ = np.array(ends_ns, dtype=np.int64) + offset_ns
    n_req = int(rs.size)
    empty = {
        "requests": n_req,
        "pauses": 0,
        "pause_ms": 0.0,
        "request_pauses": 0,
        "requests_affected": 0,
        "requests_affected_share": 0.0 if n_req else None,
        "gc_ms_per_request": {"mean": 0.0 if n_req else None, "max": 0.0 if n_req else None},
    }
    if ps.size == 0 or n_req == 0:
        return empty
    order = np.argsort(ps, kind="stable")
    ps, pe = ps[order], pe[order]
    dur = pe - ps

    # Per pause: requests in flight = started before its end minus ended at/before its start.
    rs_sorted = np.sort(rs)
    re_sorted = np.sort(re_)
    in_flight = np.searchsorted(rs_sorted, pe, side="left") - np.searchsorted(
        re_sorted, ps, side="right"
    )
    in_flight = np.maximum(in_flight, 0)
    hit = in_flight > 0

    # Per request: pauses [lo, hi) overlap it; clip the first and last at the window's edges.
    lo = np.searchsorted(pe, rs, side="right")
    hi = np.searchsorted(ps, re_, side="left")
    cum = np.concatenate(([0], np.cumsum(dur)))
    has = hi > lo
    per_req = np.where(has, cum[hi] - cum[np.minimum(lo, hi)], 0)
    first = np.minimum(lo, ps.size - 1)
    last = np.clip(hi - 1, 0, ps.size - 1)
    per_req = per_req - np.where(has, np.maximum(rs - ps[first], 0), 0)
    per_req = per_req - np.where(has, np.maximum(pe[last] - re_, 0), 0)
    per_req = np.maximum(per_req, 0)
    affected = int(np.count_nonzero(has))
    return {
        "requests": n_req,
        "pauses": int(np.count_nonzero(hit)),
        "pause_ms": float(dur[hit].sum()) / 1e6,
        "request_pauses": int(in_flight.sum()),
        "requests_affected": affected,
        "requests_affected_share": affected / n_req,
        "gc_ms_per_request": {
            "mean": float(per_req.mean()) / 1e6,
            "max": float(per_req.max()) / 1e6,
        },
    }


def merge_gc_summaries(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Add up per-process summaries (worker processes of one variant)."""
    if not parts:
        return GcMonitor().summary()
    if len(parts) == 1:
        return dict(parts[0])
    gens = [f"gen{g}" for g in range(3)]
    coll = {g: sum(p["collections"][g] for p in parts) for g in gens}
    total_ms = sum(p["pause_ms"]["total"] for p in parts)
    n = sum(coll.values())
    out: dict[str, Any] = {
        "collections": coll | {"total": n},
        "collected_objects": sum(p["collected_objects"] for p in parts),
        "pause_ms": {
            "total": total_ms,
            "max": max(p["pause_ms"]["max"] for p in parts),
            "mean": total_ms / n if n else 0.0,
            # a p99 of p99s is not a p99: keep the worst, and say so by the key name
            "p99_worst_process": max((p["pause_ms"]["p99"] or 0.0) for p in parts),
            "by_generation": {
                g: {
                    "count": sum(p["pause_ms"]["by_generation"][g]["count"] for p in parts),
                    "total": sum(p["pause_ms"]["by_generation"][g]["total"] for p in parts),
                    "max": max(p["pause_ms"]["by_generation"][g]["max"] for p in parts),
                }
                for g in gens
            },
        },
        "monitored_s": max((p.get("monitored_s") or 0.0) for p in parts),
        "pause_share": None,
        "pauses_dropped": sum(p.get("pauses_dropped", 0) for p in parts),
        "processes": len(parts),
    }
    busy = sum((p.get("monitored_s") or 0.0) for p in parts)
    out["pause_share"] = total_ms / 1e3 / busy if busy else None
    reqs = [p["during_requests"] for p in parts if "during_requests" in p]
    if reqs:
        n_req = sum(r["requests"] for r in reqs)
        affected = sum(r["requests_affected"] for r in reqs)
        mean_num = sum((r["gc_ms_per_request"]["mean"] or 0.0) * r["requests"] for r in reqs)
        out["during_requests"] = {
            "requests": n_req,
            "pauses": sum(r["pauses"] for r in reqs),
            "pause_ms": sum(r["pause_ms"] for r in reqs),
            "request_pauses": sum(r["request_pauses"] for r in reqs),
            "requests_affected": affected,
            "requests_affected_share": affected / n_req if n_req else None,
            "gc_ms_per_request": {
                "mean": mean_num / n_req if n_req else None,
                "max": max((r["gc_ms_per_request"]["max"] or 0.0) for r in reqs),
            },
        }
    return out
