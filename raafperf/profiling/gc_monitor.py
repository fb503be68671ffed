"""GC monitoring cheap enough for every run: one ``gc.callbacks`` hook, raw pauses in arrays.

The hook stores each collection's start (``perf_counter_ns``), duration, generation and
objects collected in ``array`` buffers: two Python calls and four appends per collection
(~1.3 µs), nothing per request. Which requests a pause delayed is worked out afterwards from
the requests' [start, end] windows with sorted arrays and ``searchsorted``
(O((n + m) log m)), so the request path pays nothing. A pause counts against a request when
their intervals overlap; on one event-loop thread a pause blocks every request in flight, so
that is exactly the set it delayed.

A pause only delays requests of the process it ran in. Worker processes therefore hand over
their raw pauses (:meth:`GcMonitor.raw`, plain lists tagged with the worker, which concatenate
correctly under the engine's generic merge) and :func:`summarize_gc` matches each worker's
pauses with that worker's requests.
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

    def monitored_ns(self) -> int:
        running = self._clock() - self._since_ns if self._since_ns is not None else 0
        return self._monitored_ns + running

    def raw(self, worker: int = 0) -> dict[str, Any]:
        """The pauses as plain lists (picklable, mergeable by concatenation), tagged with
        the worker they ran in, for :func:`summarize_gc`."""
        n = len(self._starts)
        return {
            "monitored_s": self.monitored_ns() / 1e9,
            "pauses_dropped": self._dropped,
            "pauses": {
                "start_ns": self._starts.tolist(),
                "duration_ns": self._durations.tolist(),
                "generation": self._generations.tolist(),
                "collected": self._collected.tolist(),
                "worker": [worker] * n,
            },
        }

    def summary(
        self,
        starts_ns: Sequence[int] | Any | None = None,
        ends_ns: Sequence[int] | Any | None = None,
        *,
        offset_ns: int = 0,
    ) -> dict[str, Any]:
        """Figures of this process's pauses; with the measured requests' windows (on this
        process's ``perf_counter_ns`` clock, or relative to ``offset_ns``), how they fell on
        the requests."""
        out = pause_figures(
            self._durations,
            self._generations,
            self._collected,
            self.monitored_ns(),
            self._dropped,
        )
        if starts_ns is not None and ends_ns is not None:
            out["during_requests"] = overlap_with_requests(
                self._starts, self._durations, starts_ns, ends_ns, offset_ns=offset_ns
            )
        return out


def pause_figures(
    durations_ns: Any, generations: Any, collected: Any, monitored_ns: float, dropped: int = 0
) -> dict[str, Any]:
    """Counts per generation, pause total/max/mean/p99 (ms) and the share of time paused."""
    import numpy as np

    # Copies, not views: a view would pin a monitor's buffers and its next append would fail.
    dur = np.array(durations_ns, dtype=np.int64)
    gens = np.array(generations, dtype=np.int64)
    by_gen = {}
    for g in range(3):
        d = dur[gens == g]
        by_gen[f"gen{g}"] = {
            "count": int(d.size),
            "total": float(d.sum()) / 1e6,
            "max": float(d.max()) / 1e6 if d.size else 0.0,
        }
    total_ms = float(dur.sum()) / 1e6
    return {
        "collections": {g: v["count"] for g, v in by_gen.items()} | {"total": int(dur.size)},
        "collected_objects": int(np.array(collected, dtype=np.int64).sum()),
        "pause_ms": {
            "total": total_ms,
            "max": float(dur.max()) / 1e6 if dur.size else 0.0,
            "mean": total_ms / dur.size if dur.size else 0.0,
            # nearest rank, like the rest of raafperf
            "p99": float(np.percentile(dur, 99, method="inverted_cdf")) / 1e6 if dur.size else None,
            "by_generation": by_gen,
        },
        "monitored_s": monitored_ns / 1e9,
        "pause_share": total_ms / 1e3 / (monitored_ns / 1e9) if monitored_ns else None,
        "pauses_dropped": dropped,
    }


def summarize_gc(raw: dict[str, Any], requests: Any = None, t0_ns: int = 0) -> dict[str, Any]:
    """summary.json["variants"][v]["gc"] from raw pauses (one process's, or several workers'
    concatenated) and the variant's measured requests (a DataFrame with ``worker``,
    ``start_ns``, ``end_ns`` relative to ``t0_ns``, the recorder's origin)."""
    import numpy as np

    p = raw.get("pauses") or {}
    starts = np.array(p.get("start_ns", []), dtype=np.int64)
    durations = np.array(p.get("duration_ns", []), dtype=np.int64)
    workers = np.array(p.get("worker", []), dtype=np.int64)
    processes = len(set(workers.tolist())) or 1
    # monitored_s adds up across workers (process-seconds): the share is per process.
    out = pause_figures(
        durations,
        p.get("generation", []),
        p.get("collected", []),
        raw.get("monitored_s", 0.0) * 1e9,
        raw.get("pauses_dropped", 0),
    )
    out["processes"] = processes
    for key in ("mode", "freeze", "frozen_objects"):
        if key in raw:
            out[key] = raw[key]
    if isinstance(raw.get("thresholds"), str):
        out["thresholds"] = [int(x) for x in raw["thresholds"].split("/")]
    if requests is None:
        return out
    parts = []
    ids = sorted(set(workers.tolist()) | set(requests["worker"].tolist()))
    for w in ids:
        rows = requests[requests["worker"] == w]
        mine = workers == w
        parts.append(
            overlap_with_requests(
                starts[mine],
                durations[mine],
                rows["start_ns"].to_numpy(),
                rows["end_ns"].to_numpy(),
                offset_ns=t0_ns,
            )
        )
    out["during_requests"] = _add_overlaps(parts)
    out["processes"] = max(processes, len(ids))
    return out


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
    if ps.size == 0 or n_req == 0:
        return {
            "requests": n_req,
            "pauses": 0,
            "pause_ms": 0.0,
            "request_pauses": 0,
            "requests_affected": 0,
            "requests_affected_share": 0.0 if n_req else None,
            "gc_ms_per_request": {"mean": 0.0 if n_req else None, "max": 0.0 if n_req else None},
        }
    order = np.argsort(ps, kind="stable")
    ps, pe = ps[order], pe[order]
    dur = pe - ps

    # Per pause: requests in flight = started before its end minus ended at/before its start.
    in_flight = np.searchsorted(np.sort(rs), pe, side="left") - np.searchsorted(
        np.sort(re_), ps, side="right"
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


def _add_overlaps(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if len(parts) == 1:
        return parts[0]
    n_req = sum(r["requests"] for r in parts)
    affected = sum(r["requests_affected"] for r in parts)
    weighted = sum((r["gc_ms_per_request"]["mean"] or 0.0) * r["requests"] for r in parts)
    return {
        "requests": n_req,
        "pauses": sum(r["pauses"] for r in parts),
        "pause_ms": sum(r["pause_ms"] for r in parts),
        "request_pauses": sum(r["request_pauses"] for r in parts),
        "requests_affected": affected,
        "requests_affected_share": affected / n_req if n_req else None,
        "gc_ms_per_request": {
            "mean": weighted / n_req if n_req else None,
            "max": max((r["gc_ms_per_request"]["max"] or 0.0) for r in parts),
        },
    }
