"""Token buckets, the tpm estimate and the 429 backoff: pure, with a fake clock."""

from __future__ import annotations

import random

import pytest
from router_testkit import FakeClock

from raafperf.router.backoff import backoff_delay
from raafperf.router.config import BackoffConfig
from raafperf.router.ratelimit import ProviderLimiter, TokenBucket, estimate_tokens


def test_bucket_starts_full_and_refills_continuously() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock)  # one per second
    for _ in range(60):
        assert bucket.try_take(1)
    assert not bucket.try_take(1)
    assert bucket.wait_time(1) == pytest.approx(1.0)
    clock.advance(0.5)
    assert bucket.wait_time(1) == pytest.approx(0.5)
    clock.advance(0.5)
    assert bucket.try_take(1)
    clock.advance(3600)
    assert bucket.level() == 60  # never above one minute's worth


def test_take_goes_into_debt_so_waiters_queue_up() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock)
    for _ in range(60):
        bucket.take(1)
    waits = []
    for _ in range(3):
        waits.append(bucket.wait_time(1))
        bucket.take(1)
    assert waits == pytest.approx([1.0, 2.0, 3.0])


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, clock)
    assert bucket.wait_time(10_000) == 0
    bucket.take(10_000)
    assert bucket.wait_time(10_000) == pytest.approx(60.0)


def test_limiter_waits_for_the_tighter_of_rpm_and_tpm() -> None:
    clock = FakeClock()
    limiter = ProviderLimiter(rpm=120, tpm=6000, clock=clock)  # 2 req/s, 100 tokens/s
    limiter.take(6000)
    assert limiter.wait_time(50) == pytest.approx(0.5)
    only_rpm = ProviderLimiter(rpm=60, tpm=None, clock=clock)
    assert only_rpm.wait_time(10**9) == 0


def test_estimate_counts_text_parts_and_output_budget() -> None:
    msgs = [
        {"role": "system", "content": "x" * 400},
        {"role": "user", "content": [{"type": "text", "text": "y" * 40}]},
        {"role": "assistant", "content": None, "tool_calls": []},
    ]
    assert estimate_tokens(msgs, 100, 256) == 110 + 1 + 100
    assert estimate_tokens(msgs, None, 256) == 111 + 256


def test_backoff_grows_exponentially_and_is_capped() -> None:
    cfg = BackoffConfig(base_s=0.5, max_s=4, jitter=0)
    rng = random.Random(1)
    assert [backoff_delay(cfg, n, rng) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]


def test_backoff_jitter_stays_in_its_band_and_spreads() -> None:
    cfg = BackoffConfig(base_s=1, max_s=100, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff_delay(cfg, 2, rng) for _ in range(500)]
    assert all(1.0 <= d <= 3.0 for d in delays)
    assert max(delays) - min(delays) > 1.5


def test_retry_after_wins_unless_ignored() -> None:
    rng = random.Random(0)
    assert backoff_delay(BackoffConfig(), 1, rng, retry_after_s=7.0) == 7.0
    ignore = BackoffConfig(respect_retry_after=False, jitter=0)
    assert backoff_delay(ignore, 1, rng, retry_after_s=7.0) == 0.5
