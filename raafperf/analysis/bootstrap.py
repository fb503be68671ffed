"""Confidence intervals for the change between two samples, vectorised with numpy.

Percentile bootstrap of a ratio (nearest-rank quantiles, means, per-block rates, and
quantiles of values pooled over clusters such as the token gaps of one request), and
Newcombe's score interval for a difference of two proportions. Pure functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

# Resampled index matrices are processed in chunks of about this many cells (int32: 16 MB).
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Interval:
    """A point estimate of the change and its confidence interval."""

    estimate: float
    low: float
    high: float


def rank_index(q: float, n: int) -> int:
    """0-based position of the nearest-rank q-quantile (0 < q <= 1) in n sorted values."""
    # Rounding first keeps 0.95 * 2000 (1900.0000000000002) from becoming rank 1901.
    return min(max(math.ceil(round(q * n, 9)) - 1, 0), n - 1)


def _ci(ratios: Any, confidence: float) -> tuple[float, float]:
    import numpy as np

    alpha = 1.0 - confidence
    finite = ratios[np.isfinite(ratios)]
    if finite.size == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _boot_order_stats(sorted_values: Any, ranks: list[int], resamples: int, rng: Any) -> Any:
    """resamples × len(ranks) order statistics of resamples of ``sorted_values``."""
    import numpy as np

    n = sorted_values.size
    out = np.empty((resamples, len(ranks)), dtype=float)
    step = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        idx = rng.integers(0, n, size=(rows, n), dtype=np.int32)
        # Sorted input: the k-th smallest resampled index points at the k-th smallest value.
        picked = np.partition(idx, ranks, axis=1)[:, ranks]
        out[start : start + rows] = sorted_values[picked]
    return out


def quantile_ratios(
    baseline: Any,
    current: Any,
    qs: list[float],
    *,
    resamples: int,
    confidence: float,
    rng: Any,
) -> list[Interval]:
    """current/baseline for each nearest-rank quantile in ``qs``, with bootstrap intervals."""
    import numpy as np

    b = np.sort(np.asarray(baseline, dtype=float))
    c = np.sort(np.asarray(current, dtype=float))
    rb = [rank_index(q, b.size) for q in qs]
    rc = [rank_index(q, c.size) for q in qs]
    boot_b = _boot_order_stats(b, rb, resamples, rng)
    boot_c = _boot_order_stats(c, rc, resamples, rng)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = boot_c / boot_b
        for j in range(len(qs)):
            est = _ratio(c[rc[j]], b[rb[j]])
            lo, hi = _ci(ratios[:, j], confidence)
            out.append(Interval(est, lo, hi))
    return out


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den != 0 else math.nan


def _boot_means(values: Any, resamples: int, rng: Any) -> Any:
    import numpy as np

    n = values.size
    out = np.empty(resamples, dtype=float)
    step = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        idx = rng.integers(0, n, size=(rows, n), dtype=np.int32)
        out[start : start + rows] = values[idx].mean(axis=1)
    return out


def mean_ratio(
    baseline: Any,
    current: Any,
    *,
    resamples: int,
    confidence: float,
    rng: Any,
) -> Interval:
    """current/baseline of the means, with a bootstrap interval."""
    import numpy as np

    b = np.asarray(baseline, dtype=float)
    c = np.asarray(current, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = _boot_means(c, resamples, rng) / _boot_means(b, resamples, rng)
    lo, hi = _ci(ratios, confidence)
    return Interval(_ratio(c.mean(), b.mean()), lo, hi)


def block_rates(ends_s: Any, t0: float, t1: float, blocks: int) -> Any:
    """Completions per second in ``blocks`` equal slices of [t0, t1]."""
    import numpy as np

    width = (t1 - t0) / blocks
    counts, _ = np.histogram(ends_s, bins=blocks, range=(t0, t1))
    return counts / width


@dataclass(frozen=True)
class Clustered:
    """Values pooled over clusters: ``values[i]`` belongs to cluster ``clusters[i]`` (0..k-1)."""

    values: Any
    clusters: Any

    @property
    def n_clusters(self) -> int:
        return int(self.clusters.max()) + 1 if self.clusters.size else 0


def clustered_quantile_ratios(
    baseline: Clustered,
    current: Clustered,
    qs: list[float],
    *,
    resamples: int,
    confidence: float,
    rng: Any,
    bins: int = 512,
    max_clusters: int = 1024,
) -> list[Interval]:
    """Ratios of pooled quantiles, resampling whole clusters (requests), not single values.

    Gaps between tokens of one request move together, so resampling gaps alone would give
    intervals that are too narrow. Each side is reduced to a per-cluster histogram over
    shared quantile bins; a resample's pooled histogram is then one matrix product. Interval
    ends are exact to within one bin (at most 0.36% of the pooled values, 0.008% above p99).
    """
    import numpy as np

    pooled = np.concatenate([baseline.values, current.values])
    edges = np.unique(np.quantile(pooled, _bin_fractions(bins)))
    nb = max(edges.size - 1, 1)
    reps = _bin_representatives(pooled, edges, nb)

    def boot(side: Clustered) -> Any:
        bin_of = np.clip(np.searchsorted(edges, side.values, side="right") - 1, 0, nb - 1)
        groups = _groups(side.clusters, side.n_clusters, max_clusters, rng)
        k = int(groups.max()) + 1
        hist = np.bincount(groups * nb + bin_of, minlength=k * nb).reshape(k, nb)
        # float32 counts are exact below 2**24; larger runs pay for float64.
        hist = hist.astype(np.float32 if hist.sum() < 2**24 else np.float64)
        out = np.empty((resamples, len(qs)), dtype=float)
        step = max(1, _CHUNK_CELLS // max(k, nb))
        for start in range(0, resamples, step):
            rows = min(step, resamples - start)
            idx = rng.integers(0, k, size=(rows, k))
            weights = (
                np.bincount((idx + np.arange(rows)[:, None] * k).ravel(), minlength=rows * k)
                .reshape(rows, k)
                .astype(hist.dtype)
            )
            cum = np.cumsum(weights @ hist, axis=1)
            total = cum[:, -1]
            for j, q in enumerate(qs):
                target = np.ceil(np.round(q * total, 6))
                pos = np.minimum((cum < target[:, None]).sum(axis=1), nb - 1)
                out[start : start + rows, j] = reps[pos]
        return out

    boot_b, boot_c = boot(baseline), boot(current)
    b_sorted, c_sorted = np.sort(baseline.values), np.sort(current.values)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = boot_c / boot_b
        for j, q in enumerate(qs):
            est = _ratio(
                c_sorted[rank_index(q, c_sorted.size)], b_sorted[rank_index(q, b_sorted.size)]
            )
            lo, hi = _ci(ratios[:, j], confidence)
            out.append(Interval(est, lo, hi))
    return out


def _bin_fractions(bins: int) -> Any:
    """Bin edges as fractions of the pooled values: half the bins below 0.9, a quarter in
    0.9–0.99 and a quarter above 0.99, so tail quantiles are resolved as finely as the body."""
    import numpy as np

    body = np.linspace(0.0, 0.9, bins // 2, endpoint=False)
    upper = np.linspace(0.9, 0.99, bins // 4, endpoint=False)
    tail = np.linspace(0.99, 1.0, bins - body.size - upper.size + 1)
    return np.concatenate([body, upper, tail])


def _bin_representatives(pooled: Any, edges: Any, nb: int) -> Any:
    """The mean pooled value in each bin (the bin's centre when empty)."""
    import numpy as np

    bin_of = np.clip(np.searchsorted(edges, pooled, side="right") - 1, 0, nb - 1)
    sums = np.bincount(bin_of, weights=pooled, minlength=nb)
    counts = np.bincount(bin_of, minlength=nb)
    centres = (edges[:-1] + edges[1:]) / 2 if edges.size > 1 else edges[:1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), centres)


def _groups(clusters: Any, n_clusters: int, max_clusters: int, rng: Any) -> Any:
    """Cluster ids, merged at random into at most ``max_clusters`` groups of equal size.

    Random groups of independent requests are themselves independent, so resampling groups
    stays a valid bootstrap; it only bounds the size of the matrix product.
    """

    if n_clusters <= max_clusters:
        return clusters
    assign = rng.permutation(n_clusters) % max_clusters
    return assign[clusters]


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_difference(
    x_base: int,
    n_base: int,
    x_cur: int,
    n_cur: int,
    *,
    confidence: float,
) -> Interval:
    """(current − baseline) proportion in percentage points, Newcombe's hybrid score interval.

    Unlike a bootstrap it stays honest at zero events: 0 of 50 against 0 of 50 gives a wide
    interval, not [0, 0].
    """
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p1, p2 = x_base / n_base, x_cur / n_cur
    l1, u1 = _wilson(x_base, n_base, z)
    l2, u2 = _wilson(x_cur, n_cur, z)
    d = p2 - p1
    lo = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    hi = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Interval(d * 100, lo * 100, hi * 100)
