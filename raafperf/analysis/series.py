"""Plot-ready series (plain lists) drawn from samples: CDFs, histograms, time buckets.

Renderers draw these without touching numpy or pandas. Every series is down-sampled so a
report stays small whatever the run's size.
"""

from __future__ import annotations

from typing import Any

from raafperf.analysis.samples import VariantSamples

CDF_POINTS = 120
HIST_BINS = 40
TIME_BUCKETS = 60


def cdf_points(values: Any, points: int = CDF_POINTS) -> list[list[float]]:
    """[[value, cumulative fraction], …] at evenly spaced fractions, denser in the tail."""
    import numpy as np

    arr = np.sort(np.asarray(values, dtype=float))
    n = arr.size
    if n == 0:
        return []
    body = np.linspace(0.0, 0.95, points * 2 // 3, endpoint=False)
    tail = np.linspace(0.95, 1.0, points - body.size)
    fractions = np.unique(np.concatenate([body, tail]))
    ranks = np.clip(np.ceil(np.round(fractions * n, 9)).astype(int) - 1, 0, n - 1)
    return [[float(arr[r]), float(f)] for r, f in zip(ranks, fractions, strict=True)]


def shared_range(*samples: Any, upper_q: float = 0.995) -> tuple[float, float]:
    """A common axis range over several samples, clipped at a high quantile."""
    import numpy as np

    parts = [np.asarray(s, dtype=float) for s in samples if len(s)]
    if not parts:
        return 0.0, 1.0
    pooled = np.concatenate(parts)
    lo = float(pooled.min())
    hi = float(np.quantile(pooled, upper_q))
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.1, 1.0)
    return lo, hi


def histogram(values: Any, lo: float, hi: float, bins: int = HIST_BINS) -> dict[str, Any]:
    """Counts over [lo, hi] (values above hi fall in the last bin) as fractions."""
    import numpy as np

    arr = np.clip(np.asarray(values, dtype=float), lo, hi)
    counts, edges = np.histogram(arr, bins=bins, range=(lo, hi))
    total = max(int(counts.sum()), 1)
    return {"edges": [float(e) for e in edges], "fractions": [c / total for c in counts]}


def time_series(s: VariantSamples, buckets: int = TIME_BUCKETS) -> dict[str, Any]:
    """Per time bucket (by completion time): completions/s, e2e p50/p95, errors by kind."""
    import numpy as np

    if s.measured == 0 or s.window_s <= 0:
        return {"t": [], "rps": [], "e2e_p50": [], "e2e_p95": [], "errors": {}}
    n = min(buckets, max(5, s.measured // 10))
    width = s.window_s / n
    slot = np.clip((s.end_s / width).astype(int), 0, n - 1)
    ok = s.ok_mask
    e2e_all = s.row_e2e_ms
    rps, p50, p95 = [], [], []
    for i in range(n):
        sel = (slot == i) & ok
        rps.append(float(sel.sum()) / width)
        vals = e2e_all[sel]
        vals = vals[np.isfinite(vals)]
        p50.append(float(np.percentile(vals, 50, method="inverted_cdf")) if vals.size else None)
        p95.append(float(np.percentile(vals, 95, method="inverted_cdf")) if vals.size else None)
    errors: dict[str, list[int]] = {}
    bad = ~ok
    for kind in sorted(set(s.error_kind[bad].tolist())):
        counts = np.bincount(slot[bad & (s.error_kind == kind)], minlength=n)
        errors[kind or "unknown"] = [int(x) for x in counts]
    return {
        "t": [float((i + 0.5) * width) for i in range(n)],
        "rps": rps,
        "e2e_p50": p50,
        "e2e_p95": p95,
        "errors": errors,
        "bucket_s": width,
    }


def comparison_plots(b: VariantSamples, c: VariantSamples) -> dict[str, Any]:
    """CDFs and histograms of TTFT/E2E/ITL and throughput over time, baseline vs current."""
    out: dict[str, Any] = {"cdf": {}, "hist": {}, "time": {}}
    for family in ("ttft", "e2e", "itl"):
        bv = b.itl.values if family == "itl" else getattr(b, f"{family}_ms")
        cv = c.itl.values if family == "itl" else getattr(c, f"{family}_ms")
        out["cdf"][family] = {"baseline": cdf_points(bv), "current": cdf_points(cv)}
        lo, hi = shared_range(bv, cv)
        out["hist"][family] = {"baseline": histogram(bv, lo, hi), "current": histogram(cv, lo, hi)}
    out["time"] = {"baseline": time_series(b), "current": time_series(c)}
    return out
