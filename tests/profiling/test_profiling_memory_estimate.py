"""Memory per request in flight: the regression recovers what each request holds."""

from __future__ import annotations

import numpy as np
import pytest

from raafperf.profiling.memory_estimate import in_flight_at, peak_concurrency, per_request_memory


def test_in_flight_and_peak_concurrency() -> None:
    starts, ends = [0, 10, 20, 30], [25, 15, 40, 35]
    flying, done = in_flight_at([5, 12, 22, 32, 50], starts, ends)
    assert flying.tolist() == [1, 2, 2, 2, 0]
    assert done.tolist() == [0, 0, 1, 2, 4]
    assert peak_concurrency(starts, ends) == 2
    # an end at the instant of a start frees its place first
    assert peak_concurrency([0, 10], [10, 20]) == 1
    assert peak_concurrency([], []) == 0


def test_regression_separates_in_flight_from_retained_memory() -> None:
    rng = np.random.default_rng(1)
    n = 400
    starts = np.sort(rng.uniform(0, 10_000, n)).astype(np.int64) * 1_000
    ends = starts + rng.uniform(50_000, 400_000, n).astype(np.int64)
    times = np.arange(-500_000, int(ends.max()) + 500_000, 10_000)
    flying, done = in_flight_at(times, starts, ends)
    k, c, base = 200_000.0, 3_000.0, 5e6
    heap = base + k * flying + c * done + rng.normal(0, 20_000, times.size)
    out = per_request_memory(times, heap, starts, ends)
    assert out["method"] == "regression"
    assert out["bytes_per_request_in_flight"] == pytest.approx(k, rel=0.05)
    assert out["bytes_retained_per_completed_request"] == pytest.approx(c, rel=0.1)
    assert out["r2"] > 0.9
    # The naive figure charges the retained growth to in-flight requests: it overstates.
    assert out["naive_bytes_per_request_in_flight"] > 1.2 * k


def test_naive_when_the_fit_cannot_tell() -> None:
    # Everything in flight at once the whole time: in-flight never varies inside the window.
    starts, ends = np.zeros(4, np.int64), np.full(4, 1_000_000, np.int64)
    times = np.arange(-100_000, 1_000_001, 10_000)
    heap = np.where(times >= 0, 4_000_000.0, 0.0)
    out = per_request_memory(times, heap, starts, ends)
    assert out["method"] == "naive"
    assert out["bytes_per_request_in_flight"] == pytest.approx(1_000_000)
    assert per_request_memory([], [], [], [])["method"] is None
