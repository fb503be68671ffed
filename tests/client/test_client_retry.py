"""Retry policy, Retry-After and the retry budget: pure, with injected clock and random."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from raafperf.client.config import RetryBudget as BudgetConfig
from raafperf.client.config import RetryPolicy
from raafperf.client.retry import (
    RetryBudget,
    RetryDecider,
    backoff_delay,
    parse_retry_after,
    retry_class,
)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_retry_classes() -> None:
    assert retry_class("timeout_read") == "timeout"
    assert retry_class("timeout_pool") == "timeout"
    assert retry_class("connect_error") == "connection"
    assert retry_class("connection_reset") == "connection"
    assert retry_class("http_429") == "429"
    assert retry_class("http_503") == "5xx"
    assert retry_class("http_529") == "5xx"
    assert retry_class("stream_cut") == "stream_cut"
    assert retry_class("http_400") is None
    assert retry_class("stream_broken") is None
    assert retry_class("malformed_event") is None


def test_backoff_grows_caps_and_jitters() -> None:
    policy = RetryPolicy(backoff_base_s=0.5, backoff_multiplier=2, backoff_cap_s=3, jitter="none")
    assert [backoff_delay(policy, n, lambda: 0.5) for n in (1, 2, 3, 4, 5)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]
    full = policy.model_copy(update={"jitter": "full"})
    assert backoff_delay(full, 2, lambda: 0.25) == pytest.approx(0.25)
    assert backoff_delay(full, 2, lambda: 0.0) == 0.0
    equal = policy.model_copy(update={"jitter": "equal"})
    assert backoff_delay(equal, 2, lambda: 0.0) == pytest.approx(0.5)
    assert backoff_delay(equal, 2, lambda: 1.0) == pytest.approx(1.0)


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    date = format_datetime(datetime(2025, 1, 1, 12, 0, 7, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(date, lambda: now) == pytest.approx(7.0)
    past = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(past, lambda: now) == 0.0


def test_budget_ratio_plus_reserve_over_a_sliding_window() -> None:
    clock = Clock()
    budget = RetryBudget(BudgetConfig(ratio=0.2, min_per_second=0.5, window_s=10), clock)
    for _ in range(50):
        budget.deposit()
    allowed = sum(budget.try_withdraw() for _ in range(100))
    assert allowed == 15  # 0.2 * 50 + 0.5 * 10
    assert budget.refused == 85
    clock.now += 11  # the window has slid past every deposit and withdrawal
    assert budget.balance() == pytest.approx(5.0)
    assert sum(budget.try_withdraw() for _ in range(10)) == 5


def test_decider_limits_attempts_and_classes() -> None:
    policy = RetryPolicy(
        max_attempts=3, retry_on=["429", "5xx"], jitter="none", backoff_base_s=0.1, budget=None
    )
    decider = RetryDecider(policy, rand=lambda: 0.5)
    assert decider.next_delay("http_503", 1) == (pytest.approx(0.1), "")
    assert decider.next_delay("http_503", 2) == (pytest.approx(0.2), "")
    assert decider.next_delay("http_503", 3) == (None, "attempts exhausted")
    assert decider.next_delay("timeout_read", 1) == (None, "")  # not in retry_on
    assert decider.next_delay("http_400", 1) == (None, "")
    delay, why = decider.next_delay("http_503", 1, after_first_token=True)
    assert delay is None and why == "output already streamed"


def test_decider_honours_retry_after() -> None:
    policy = RetryPolicy(
        max_attempts=3, jitter="none", backoff_base_s=0.1, budget=None, max_retry_after_s=5
    )
    decider = RetryDecider(policy)
    assert decider.next_delay("http_429", 1, retry_after="1")[0] == pytest.approx(1.0)
    assert decider.next_delay("http_429", 1, retry_after="0")[0] == pytest.approx(0.1)
    delay, why = decider.next_delay("http_429", 1, retry_after="30")
    assert delay is None and "Retry-After" in why
    ignoring = RetryDecider(policy.model_copy(update={"respect_retry_after": False}))
    assert ignoring.next_delay("http_429", 1, retry_after="30")[0] == pytest.approx(0.1)


def test_decider_stops_when_the_budget_is_spent() -> None:
    clock = Clock()
    policy = RetryPolicy(max_attempts=5, budget=BudgetConfig(ratio=0.1, min_per_second=0))
    decider = RetryDecider(policy, clock=clock, rand=lambda: 0.0)
    for _ in range(20):
        decider.start_call()
    results = [decider.next_delay("http_500", 1) for _ in range(5)]
    assert [d is not None for d, _ in results] == [True, True, False, False, False]
    assert results[-1][1] == "retry budget exhausted"
    assert decider.budget is not None and decider.budget.refused == 3
