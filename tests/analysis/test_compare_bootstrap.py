"""The interval arithmetic: nearest rank, bootstrap ratios, clusters, Newcombe."""

from __future__ import annotations

import numpy as np
import pytest

from raafperf.analysis import bootstrap as bs


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1999, 2000, 10_000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99, 1.0])
def test_rank_index_is_numpys_inverted_cdf(n: int, q: float) -> None:
    values = np.arange(1, n + 1, dtype=float)
    expected = np.percentile(values, q * 100, method="inverted_cdf")
    assert values[bs.rank_index(q, n)] == expected


def _lognormal(seed: int, n: int, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(np.log(100), 0.4, n) * scale


def test_quantile_ratio_estimate_is_exact_and_interval_brackets_it() -> None:
    b, c = _lognormal(1, 2000), _lognormal(2, 2000, 1.3)
    got = bs.quantile_ratios(
        b, c, [0.5, 0.95], resamples=1000, confidence=0.95, rng=np.random.default_rng(0)
    )
    for q, iv in zip([0.5, 0.95], got, strict=True):
        exact = np.percentile(c, q * 100, method="inverted_cdf") / np.percentile(
            b, q * 100, method="inverted_cdf"
        )
        assert iv.estimate == pytest.approx(exact)
        assert iv.low < iv.estimate < iv.high
        assert iv.low > 1.1  # a 30% shift is far outside the noise at n = 2000


def test_same_seed_same_interval() -> None:
    b, c = _lognormal(1, 500), _lognormal(2, 500)
    one = bs.quantile_ratios(
        b, c, [0.5], resamples=300, confidence=0.95, rng=np.random.default_rng(7)
    )
    two = bs.quantile_ratios(
        b, c, [0.5], resamples=300, confidence=0.95, rng=np.random.default_rng(7)
    )
    assert one == two


def test_interval_covers_no_change_for_aa_samples() -> None:
    """About 95% of A/A intervals must contain 1 (allowing for 40 draws of noise)."""
    covered = 0
    for seed in range(40):
        b, c = _lognormal(2 * seed, 400), _lognormal(2 * seed + 1, 400)
        iv = bs.quantile_ratios(
            b, c, [0.5], resamples=400, confidence=0.95, rng=np.random.default_rng(seed)
        )[0]
        covered += iv.low <= 1 <= iv.high
    assert covered >= 34


def test_mean_ratio() -> None:
    b = np.full(100, 2.0)
    c = np.full(100, 3.0)
    iv = bs.mean_ratio(b, c, resamples=200, confidence=0.95, rng=np.random.default_rng(0))
    assert (iv.estimate, iv.low, iv.high) == pytest.approx((1.5, 1.5, 1.5))


def test_block_rates_average_to_the_overall_rate() -> None:
    ends = np.linspace(0.05, 9.95, 200)
    rates = bs.block_rates(ends, 0.0, 10.0, 20)
    assert rates.mean() == pytest.approx(20.0)
    assert rates.size == 20


def _clustered(seed: int, requests: int, gaps: int, spread: float, scale: float = 1.0):
    """Gaps that share a per-request speed factor (as token gaps of one stream do)."""
    rng = np.random.default_rng(seed)
    speed = rng.lognormal(0, spread, requests)
    values = (rng.lognormal(np.log(10), 0.1, (requests, gaps)) * speed[:, None] * scale).ravel()
    return bs.Clustered(values, np.repeat(np.arange(requests), gaps))


def test_clustered_interval_is_wider_than_a_naive_one_when_gaps_move_together() -> None:
    b, c = _clustered(1, 300, 40, 0.5), _clustered(2, 300, 40, 0.5)
    clustered = bs.clustered_quantile_ratios(
        b, c, [0.5], resamples=600, confidence=0.95, rng=np.random.default_rng(0)
    )[0]
    naive = bs.quantile_ratios(
        b.values, c.values, [0.5], resamples=600, confidence=0.95, rng=np.random.default_rng(0)
    )[0]
    assert clustered.high - clustered.low > 2 * (naive.high - naive.low)
    assert clustered.estimate == pytest.approx(naive.estimate)


def test_clustered_detects_a_real_shift_and_merges_many_clusters() -> None:
    b, c = _clustered(3, 3000, 10, 0.2), _clustered(4, 3000, 10, 0.2, scale=1.3)
    got = bs.clustered_quantile_ratios(
        b,
        c,
        [0.5, 0.99],
        resamples=500,
        confidence=0.95,
        rng=np.random.default_rng(0),
        max_clusters=512,
    )
    for iv in got:
        assert 1.15 < iv.low < iv.estimate < iv.high < 1.45


@pytest.mark.parametrize(
    ("base", "cur", "expected"),
    [
        ((48, 80), (56, 70), (20.0, 5.24, 33.39)),  # Newcombe (1998) table II, example (a)
        ((0, 10), (0, 20), (0.0, -27.75, 16.11)),  # example (h), sides swapped
    ],
)
def test_newcombe_matches_the_published_examples(base, cur, expected) -> None:
    iv = bs.proportion_difference(*base, *cur, confidence=0.95)
    assert (iv.estimate, iv.low, iv.high) == pytest.approx(expected, abs=0.01)


def test_newcombe_stays_honest_at_zero_events() -> None:
    small = bs.proportion_difference(0, 50, 0, 50, confidence=0.95)
    large = bs.proportion_difference(0, 5000, 0, 5000, confidence=0.95)
    assert small.estimate == 0
    assert small.high > 5  # 0 of 50 says little: the rate could be ~7%
    assert large.high < 0.1
    assert small.low == pytest.approx(-small.high)
