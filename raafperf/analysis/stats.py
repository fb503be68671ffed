"""Latency statistics: nearest-rank percentiles and the usual moments.

Nearest rank (``method="inverted_cdf"``) reports only values that were observed: the p99 of
1..10 is 10, not the interpolated 9.91. Pure functions over numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

PERCENTILES = (50, 90, 95, 99)


def nearest_rank(values: Sequence[float] | Any, p: float) -> float | None:
    """The nearest-rank p-th percentile, or None for no values."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return None
    return float(np.percentile(arr, p, method="inverted_cdf"))


def describe(values: Iterable[float] | Any) -> dict[str, float | int | None]:
    """count, mean, min, max, stddev (sample) and nearest-rank p50/p90/p95/p99; NaNs ignored."""
    import numpy as np

    arr = np.asarray(values if not isinstance(values, list) else np.array(values), dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    out: dict[str, float | int | None] = {"count": n}
    if n == 0:
        out.update({k: None for k in ("mean", "min", "max", "stddev")})
        out.update({f"p{p}": None for p in PERCENTILES})
        return out
    out["mean"] = float(arr.mean())
    out["min"] = float(arr.min())
    out["max"] = float(arr.max())
    out["stddev"] = float(arr.std(ddof=1)) if n > 1 else 0.0
    qs = np.percentile(arr, PERCENTILES, method="inverted_cdf")
    for p, q in zip(PERCENTILES, qs, strict=True):
        out[f"p{p}"] = float(q)
    return out


def finite_or_none(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value
