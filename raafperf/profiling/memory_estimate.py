"""Memory per request in flight, estimated from heap samples and the requests' windows.

The naive figure, (peak heap − heap before the first request) / peak concurrency, charges to
in-flight requests everything that grew during the run: caches filling up, recorder buffers,
connection pools. Here the tracked heap at each sample time t is fitted by least squares as

    heap(t) = base + k · in_flight(t) + c · completed(t)

so ``k`` is the memory a request holds while it runs (released when it ends) and ``c`` what
each finished request leaves behind (cache entries, samples kept). The fit needs in_flight to
vary independently of completed — ramp-up, ramp-down and the jitter of a real run provide
that; when it does not (too few samples, a rank-deficient design) the naive figure is given
instead, and ``method`` says which one was used. Pure numpy; times in ns on one clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIN_SAMPLES = 8
RELIABLE = 0.5
"""The fit is used when its standard error is under this share of the estimate."""


def in_flight_at(times_ns: Any, starts_ns: Any, ends_ns: Any) -> tuple[Any, Any]:
    """(in flight, completed) at each time: started at or before t and not yet ended."""
    import numpy as np

    t = np.asarray(times_ns, dtype=np.int64)
    s = np.sort(np.asarray(starts_ns, dtype=np.int64))
    e = np.sort(np.asarray(ends_ns, dtype=np.int64))
    started = np.searchsorted(s, t, side="right")
    completed = np.searchsorted(e, t, side="right")
    return np.maximum(started - completed, 0), completed


def peak_concurrency(starts_ns: Any, ends_ns: Any) -> int:
    """Most requests in flight at once (an end at the same instant as a start comes first)."""
    import numpy as np

    s = np.asarray(starts_ns, dtype=np.int64)
    e = np.asarray(ends_ns, dtype=np.int64)
    if s.size == 0:
        return 0
    times = np.concatenate([s, e])
    deltas = np.concatenate([np.ones(s.size, np.int64), -np.ones(e.size, np.int64)])
    order = np.lexsort((deltas, times))
    return int(np.cumsum(deltas[order]).max())


def per_request_memory(
    sample_times_ns: Sequence[int] | Any,
    heap_bytes: Sequence[int] | Any,
    starts_ns: Sequence[int] | Any,
    ends_ns: Sequence[int] | Any,
) -> dict[str, Any]:
    """Bytes per request in flight (regression, else naive) with the figures behind it."""
    import numpy as np

    t = np.asarray(sample_times_ns, dtype=np.int64)
    heap = np.asarray(heap_bytes, dtype=float)
    s = np.asarray(starts_ns, dtype=np.int64)
    e = np.asarray(ends_ns, dtype=np.int64)
    peak_c = peak_concurrency(s, e)
    out: dict[str, Any] = {
        "method": None,
        "bytes_per_request_in_flight": None,
        "bytes_retained_per_completed_request": None,
        "r2": None,
        "stderr_bytes": None,
        "fitted_bytes_per_request_in_flight": None,
        "naive_bytes_per_request_in_flight": None,
        "peak_in_flight": peak_c,
        "samples": 0,
    }
    if s.size == 0 or t.size == 0:
        return out
    # Only samples while the requests ran: before and after, the heap holds other things.
    window = (t >= s.min()) & (t <= e.max())
    before = t < s.min()
    if before.any():
        base = float(heap[before][-1])
    else:
        base = float(heap[window][0]) if window.any() else 0.0
    t, heap = t[window], heap[window]
    out["samples"] = int(t.size)
    if t.size == 0:
        return out
    if peak_c:
        out["naive_bytes_per_request_in_flight"] = max(float(heap.max()) - base, 0.0) / peak_c
    out["method"] = "naive"
    out["bytes_per_request_in_flight"] = out["naive_bytes_per_request_in_flight"]
    if t.size < MIN_SAMPLES:
        return out
    flying, done = in_flight_at(t, s, e)
    design = np.column_stack([np.ones(t.size), flying.astype(float), done.astype(float)])
    if np.linalg.matrix_rank(design) < 3:
        return out
    coef, *_ = np.linalg.lstsq(design, heap, rcond=None)
    fitted = design @ coef
    ss_res = float(((heap - fitted) ** 2).sum())
    ss_tot = float(((heap - heap.mean()) ** 2).sum())
    # Standard error of k: how far to trust it (transient allocations make the heap noisy).
    sigma2 = ss_res / max(t.size - 3, 1)
    stderr = float(np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[1, 1]))
    out.update(
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else None,
        stderr_bytes=stderr,
        fitted_bytes_per_request_in_flight=float(coef[1]),
    )
    if not (coef[1] > 0 and stderr < RELIABLE * coef[1]):
        # Transient allocations swamp the in-flight signal: the naive figure stays.
        return out
    out.update(
        method="regression",
        bytes_per_request_in_flight=float(coef[1]),
        bytes_retained_per_completed_request=float(coef[2]),
    )
    return out
