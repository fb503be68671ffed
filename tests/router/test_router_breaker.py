"""The circuit breaker as a pure state machine: every transition, no sleeping."""

from __future__ import annotations

import pytest
from router_testkit import FakeClock

from raafperf.router.breaker import CLOSED, HALF_OPEN, OPEN, REJECTED, CircuitBreaker
from raafperf.router.config import BreakerConfig
from raafperf.router.errorclass import ErrorClass


def make(clock: FakeClock, *, health: bool = True, **cfg: object) -> tuple[CircuitBreaker, list]:
    changes: list[tuple[str, str, str]] = []
    config = BreakerConfig.model_validate(cfg)
    breaker = CircuitBreaker(
        config,
        ErrorClass(config.count),
        clock=clock,
        health_checks=health,
        on_change=lambda a, b, why: changes.append((a, b, why)),
    )
    return breaker, changes


def fail(b: CircuitBreaker, kind: str = "http_503") -> None:
    b.record(b.acquire(), kind)


def succeed(b: CircuitBreaker) -> None:
    b.record(b.acquire(), None)


def test_count_mode_opens_at_the_threshold_within_the_window() -> None:
    clock = FakeClock()
    b, changes = make(clock, failure_threshold=3, failure_rate=None, window_s=10)
    fail(b)
    fail(b)
    clock.advance(11)  # the first two leave the window
    fail(b)
    fail(b)
    assert b.state == CLOSED
    fail(b)
    assert b.state == OPEN
    assert changes == [(CLOSED, OPEN, "3 failures in 10s")]
    assert b.acquire() == REJECTED
    assert not b.available()


def test_successes_do_not_reset_the_count_in_count_mode() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_threshold=2, failure_rate=None)
    fail(b)
    for _ in range(50):
        succeed(b)
    fail(b)
    assert b.state == OPEN


def test_rate_mode_needs_the_minimum_number_of_calls() -> None:
    clock = FakeClock()
    b, changes = make(clock, failure_rate=0.5, min_calls=6, window_s=10)
    for _ in range(5):
        fail(b)
    assert b.state == CLOSED  # 100% failures, but only 5 calls
    succeed(b)
    assert b.state == CLOSED  # 5/6 ≥ 50%, but the trip is decided on a failure
    fail(b)
    assert b.state == OPEN
    assert changes[-1][2] == "failure rate 86% over 7 calls in 10s"


def test_rate_mode_stays_closed_under_the_rate() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_rate=0.5, min_calls=4)
    for _ in range(100):
        succeed(b)
        succeed(b)
        fail(b)  # a third fail: under 50%
        clock.advance(0.05)
    assert b.state == CLOSED


def test_a_window_of_calls_reacts_in_calls_not_seconds() -> None:
    clock = FakeClock()
    b, changes = make(clock, failure_rate=0.5, min_calls=4, window_calls=10, window_s=1)
    for _ in range(500):  # a long healthy history does not slow the trip down
        succeed(b)
    for _ in range(4):
        fail(b)
        clock.advance(5)  # seconds do not matter
    assert b.state == CLOSED  # 4 of the last 10
    fail(b)
    assert b.state == OPEN
    assert changes[-1][2] == "failure rate 50% over the last 10 calls"


def test_a_window_of_calls_forgets_old_failures() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_threshold=3, failure_rate=None, window_calls=5)
    for _ in range(20):
        fail(b)
        fail(b)
        for _ in range(4):
            succeed(b)
    assert b.state == CLOSED  # never 3 failures among 5 consecutive calls
    fail(b)
    fail(b)
    fail(b)
    assert b.state == OPEN


def test_errors_outside_the_counted_class_are_neutral() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_threshold=1, failure_rate=None, count=["5xx"])
    fail(b, "http_400")
    fail(b, "http_429")
    fail(b, "timeout_read")
    assert b.state == CLOSED
    fail(b, "http_502")
    assert b.state == OPEN


def test_open_needs_the_reset_timeout_and_a_passing_health_check() -> None:
    clock = FakeClock()
    b, changes = make(clock, failure_threshold=1, failure_rate=None, reset_timeout_s=5)
    fail(b)
    clock.advance(4.9)
    assert not b.health_check_due()
    clock.advance(0.1)
    assert b.health_check_due()
    assert not b.available()  # time alone never lets calls through
    b.health_check_started()
    assert not b.health_check_due()  # one check at a time
    b.health_check_finished(False, "http_503")
    assert b.state == OPEN
    assert changes[-1] == (OPEN, OPEN, "health check failed: http_503")
    assert not b.health_check_due()  # the reset timeout starts again
    clock.advance(5)
    assert b.health_check_due()
    b.health_check_started()
    b.health_check_finished(True)
    assert b.state == HALF_OPEN
    assert changes[-1] == (OPEN, HALF_OPEN, "health check passed")


def half_open(clock: FakeClock, **cfg: object) -> tuple[CircuitBreaker, list]:
    b, changes = make(clock, failure_threshold=1, failure_rate=None, reset_timeout_s=1, **cfg)
    fail(b)
    clock.advance(1)
    b.health_check_started()
    b.health_check_finished(True)
    assert b.state == HALF_OPEN
    return b, changes


def test_half_open_admits_only_the_configured_probes_when_many_arrive_together() -> None:
    clock = FakeClock()
    b, _ = half_open(clock, half_open_max_calls=2)
    tickets = [b.acquire() for _ in range(50)]
    admitted = [t for t in tickets if t != REJECTED]
    assert len(admitted) == 2
    assert not b.available()
    b.release(admitted[0])  # a neutral end frees its slot for one more
    assert b.available()
    assert b.acquire() != REJECTED
    assert b.acquire() == REJECTED


def test_a_probe_success_closes_and_a_probe_failure_reopens() -> None:
    clock = FakeClock()
    b, changes = half_open(clock)
    b.record(b.acquire(), None)
    assert b.state == CLOSED
    assert changes[-1] == (HALF_OPEN, CLOSED, "probe succeeded")

    b2, changes2 = half_open(clock)
    b2.record(b2.acquire(), "timeout_read")
    assert b2.state == OPEN
    assert changes2[-1] == (HALF_OPEN, OPEN, "probe failed: timeout_read")
    assert b2.opens == 2


def test_success_threshold_needs_that_many_probes() -> None:
    clock = FakeClock()
    b, _ = half_open(clock, success_threshold=2, half_open_max_calls=1)
    b.record(b.acquire(), None)
    assert b.state == HALF_OPEN
    b.record(b.acquire(), None)
    assert b.state == CLOSED


def test_outcomes_of_calls_admitted_before_a_transition_are_ignored() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_threshold=2, failure_rate=None, reset_timeout_s=1)
    early = b.acquire()  # admitted while closed, still in flight
    fail(b)
    fail(b)
    assert b.state == OPEN
    clock.advance(1)
    b.health_check_started()
    b.health_check_finished(True)
    b.record(early, None)  # the old call's success must not close the new half-open
    assert b.state == HALF_OPEN
    b.record(early, "http_500")
    assert b.state == HALF_OPEN


def test_health_checks_off_goes_half_open_after_the_timeout() -> None:
    clock = FakeClock()
    b, changes = make(
        clock, health=False, failure_threshold=1, failure_rate=None, reset_timeout_s=2
    )
    fail(b)
    assert b.acquire() == REJECTED
    clock.advance(2)
    assert not b.health_check_due()
    assert b.acquire() != REJECTED
    assert b.state == HALF_OPEN
    assert b.acquire() == REJECTED
    assert changes[-1][2] == "reset timeout passed (health checks off)"


def test_closing_clears_the_failures_seen_before() -> None:
    clock = FakeClock()
    b, _ = make(clock, failure_threshold=2, failure_rate=None, window_s=60, reset_timeout_s=1)
    fail(b)
    fail(b)
    clock.advance(1)
    b.health_check_started()
    b.health_check_finished(True)
    b.record(b.acquire(), None)
    assert b.state == CLOSED
    fail(b)  # the two old failures are still inside the window, but no longer count
    assert b.state == CLOSED
    fail(b)
    assert b.state == OPEN


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"failure_rate": None}, "needs failure_threshold and/or failure_rate"),
        ({"count": ["5xx", "server_errors"]}, "unknown error class 'server_errors'"),
        ({"failure_rate": 1.5}, "less than or equal to 1"),
        ({"window_calls": 5, "min_calls": 10}, "min_calls cannot exceed window_calls"),
    ],
)
def test_config_errors_are_clear(cfg: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BreakerConfig.model_validate(cfg)
