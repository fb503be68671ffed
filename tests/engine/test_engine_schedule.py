"""Pure schedules: seeded, reproducible, and shaped as asked."""

from __future__ import annotations

import itertools
import statistics

import pytest

from raafperf.engine.bench import plan_segments
from raafperf.engine.schedule import QueryPicker, arrival_offsets, split_evenly


def test_picker_is_reproducible_and_follows_weights() -> None:
    a = QueryPicker([1, 3], seed=5)
    b = QueryPicker([1, 3], seed=5)
    draws = [a.next() for _ in range(8000)]
    assert draws == [b.next() for _ in range(8000)]
    assert draws.count(1) / len(draws) == pytest.approx(0.75, abs=0.02)


def test_constant_arrivals_are_evenly_spaced() -> None:
    offsets = list(itertools.islice(arrival_offsets(4.0, "constant", 0), 5))
    assert offsets == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_poisson_arrivals_have_the_requested_mean_rate() -> None:
    offsets = list(itertools.islice(arrival_offsets(50.0, "poisson", 1), 20001))
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert statistics.fmean(gaps) == pytest.approx(1 / 50, rel=0.03)
    # Exponential gaps: the standard deviation equals the mean.
    assert statistics.pstdev(gaps) == pytest.approx(1 / 50, rel=0.05)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next(arrival_offsets(0, "poisson", 0))


def test_split_evenly() -> None:
    assert split_evenly(10, 3) == [4, 3, 3]
    assert sum(split_evenly(1001, 7)) == 1001


def test_variants_alternate_in_reversed_rounds() -> None:
    assert plan_segments(["a", "b"], 3) == [
        (0, "a"),
        (0, "b"),
        (1, "b"),
        (1, "a"),
        (2, "a"),
        (2, "b"),
    ]
