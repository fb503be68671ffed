"""Fallback, 429 backoff, fail-fast, breakers and health checks through the Router."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from router_testkit import (
    FakeClock,
    FakeProvider,
    NoHealthProvider,
    make_router,
    pconf,
    req,
    run_many,
)

from raafperf.router import Router

NO_BREAKER = {"breaker": {"enabled": False}}


async def settle(router: Router) -> None:
    """Let background health checks finish."""
    for _ in range(100):
        if all(p.health_task is None for p in router.providers):
            return
        await asyncio.sleep(0)
    raise AssertionError("health checks did not finish")


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_a_failure_falls_back_to_the_next_provider() -> None:
    bad, good = FakeProvider("bad", outcome="http_503"), FakeProvider("good")
    router = make_router(
        {"strategy": "priority", **NO_BREAKER},
        [(pconf("bad", priority=0), bad), (pconf("good", priority=1), good)],
    )
    result = await router.call(req())
    assert result.ok and result.provider == "good"
    assert result.fallbacks == 1
    assert result.attempts == 2
    assert result.attempt_errors == ["http_503"]
    stats = router.stats()
    assert stats["fallbacks"] == {"requests": 1, "total": 1}
    assert stats["providers"]["bad"]["errors"] == {"total": 1, "by_kind": {"http_503": 1}}
    assert stats["providers"]["good"]["answered"] == 1
    assert stats["ok"] == 1 and stats["errors"]["total"] == 0


async def test_max_attempts_bounds_the_providers_tried() -> None:
    ps = [FakeProvider(n, outcome="timeout_read") for n in "abcd"]
    router = make_router({"max_attempts": 3, **NO_BREAKER}, [(pconf(p.name), p) for p in ps])
    result = await router.call(req())
    assert not result.ok and result.error_kind == "timeout_read"
    assert sum(p.calls for p in ps) == 3
    assert result.fallbacks == 2
    assert result.attempt_errors == ["timeout_read", "timeout_read"]
    assert router.stats()["errors"]["by_kind"] == {"timeout_read": 1}


@pytest.mark.parametrize("kind", ["http_400", "stream_broken", "cancelled", "internal_error"])
async def test_non_retryable_errors_end_the_request_at_once(kind: str) -> None:
    a, b = FakeProvider("a", outcome=kind), FakeProvider("b")
    router = make_router(
        {"strategy": "priority", **NO_BREAKER},
        [(pconf("a", priority=0), a), (pconf("b", priority=1), b)],
    )
    result = await router.call(req())
    assert not result.ok and result.error_kind == kind
    assert b.calls == 0
    assert result.fallbacks == 0


async def test_stream_broken_is_never_retried_even_if_listed() -> None:
    a, b = FakeProvider("a", outcome="stream_broken"), FakeProvider("b")
    router = make_router(
        {"strategy": "priority", "retry_on": ["stream", "5xx"], **NO_BREAKER},
        [(pconf("a", priority=0), a), (pconf("b", priority=1), b)],
    )
    assert (await router.call(req())).error_kind == "stream_broken"
    assert b.calls == 0


async def test_a_raising_caller_becomes_an_internal_error() -> None:
    class Boom:
        async def call(self, request):
            raise RuntimeError("bug below")

    router = make_router({}, [(pconf("boom"), Boom())])
    result = await router.call(req())
    assert not result.ok and result.error_kind == "internal_error"
    assert "RuntimeError: bug below" in result.error_detail


async def test_429_moves_on_and_leaves_the_provider_alone_for_its_retry_after() -> None:
    clock = FakeClock()
    limited = FakeProvider("limited", outcome="http_429", retry_after_s=4.0)
    other = FakeProvider("other")
    router = make_router(
        {"strategy": "priority", **NO_BREAKER},
        [(pconf("limited", priority=0), limited), (pconf("other", priority=1), other)],
        clock,
    )
    assert (await router.call(req())).provider == "other"
    limited.outcome = None
    for _ in range(3):  # still cooling down: straight to the other
        clock.advance(1)
        assert (await router.call(req())).provider == "other"
    clock.advance(1.01)
    assert (await router.call(req())).provider == "limited"
    assert clock.sleeps == []  # nobody waited: there was somewhere else to go
    assert router.stats()["backoff"]["responses_429"] == 1


async def test_429_on_the_only_provider_backs_off_exponentially_then_succeeds() -> None:
    clock = FakeClock()
    answers = iter(["http_429", "http_429", None])
    only = FakeProvider("only", outcome=lambda r: next(answers))
    router = make_router(
        {"backoff": {"base_s": 0.5, "jitter": 0, "max_s": 10}, **NO_BREAKER},
        [(pconf("only"), only)],
        clock,
    )
    result = await router.call(req())
    assert result.ok and result.attempts == 3
    assert result.fallbacks == 0  # the same provider, not a fallback
    assert result.attempt_errors == ["http_429", "http_429"]
    assert clock.sleeps == pytest.approx([0.5, 1.0])
    assert result.stages_ns["routing_wait"] > 0
    backoff = router.stats()["backoff"]
    assert backoff["waits"] == 2 and backoff["total_s"] == pytest.approx(1.5)


async def test_a_backoff_past_max_wait_returns_the_429() -> None:
    clock = FakeClock()
    only = FakeProvider("only", outcome="http_429", retry_after_s=120)
    router = make_router(
        {"rate_limit": {"max_wait_s": 30}, **NO_BREAKER}, [(pconf("only"), only)], clock
    )
    result = await router.call(req())
    assert result.error_kind == "http_429" and only.calls == 1
    assert clock.sleeps == []


async def test_retry_same_provider_goes_round_again_after_a_backoff() -> None:
    clock = FakeClock()
    answers = iter(["http_500", "http_500", None])
    a = FakeProvider("a", outcome=lambda r: next(answers))
    b = FakeProvider("b", outcome="http_500")
    router = make_router(
        {
            "strategy": "priority",
            "max_attempts": 5,
            "retry_same_provider": True,
            "backoff": {"jitter": 0},
            **NO_BREAKER,
        },
        [(pconf("a", priority=0), a), (pconf("b", priority=1), b)],
        clock,
    )
    result = await router.call(req())
    assert result.ok and result.provider == "a"
    assert (a.calls, b.calls) == (3, 2)  # a, b, backoff, a, b, backoff, a
    assert clock.sleeps == [0.5, 1.0]
    assert result.fallbacks == 1

    without = make_router(
        {"strategy": "priority", **NO_BREAKER},
        [(pconf("b"), FakeProvider("b", outcome="http_500"))],
        clock,
    )
    assert (await without.call(req())).attempts == 1


def breaker_cfg(**extra: object) -> dict:
    return {
        "strategy": "priority",
        "breaker": {
            "failure_threshold": 3,
            "failure_rate": None,
            "reset_timeout_s": 5,
            "window_s": 30,
        },
        **extra,
    }


async def test_an_outage_opens_the_breaker_moves_traffic_and_brings_it_back() -> None:
    clock = FakeClock()
    primary, backup = FakeProvider("primary"), FakeProvider("backup")
    router = make_router(
        breaker_cfg(),
        [(pconf("primary", priority=0), primary), (pconf("backup", priority=1), backup)],
        clock,
    )
    router.mark_start()
    assert all(r.provider == "primary" for r in await run_many(router, 5))
    primary.outcome, primary.healthy = "http_503", False
    clock.advance(10)
    results = await run_many(router, 10)
    assert all(r.ok and r.provider == "backup" for r in results)  # no request lost
    assert [r.fallbacks for r in results] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert primary.calls == 8  # 5 good + the 3 failures that opened it
    clock.advance(5)
    assert (await router.call(req())).provider == "backup"  # starts a health check
    await settle(router)  # which fails
    assert primary.health_checks == 1 and primary.calls == 8
    primary.outcome, primary.healthy = None, True
    clock.advance(5)
    # the first request starts a health check and is answered by the backup meanwhile
    assert (await router.call(req())).provider == "backup"
    await settle(router)
    results = await run_many(router, 5)
    assert all(r.provider == "primary" for r in results)
    tl = router.stats()["timeline"]
    assert [(e["provider"], e["from"], e["to"]) for e in tl] == [
        ("primary", "closed", "open"),
        ("primary", "open", "open"),
        ("primary", "open", "half_open"),
        ("primary", "half_open", "closed"),
    ]
    assert [e["t_s"] for e in tl] == [10, 15, 20, 20]
    assert tl[0]["reason"] == "3 failures in 30s"
    assert tl[1]["reason"] == "health check failed"
    stats = router.stats()["providers"]["primary"]
    assert stats["breaker"] == {"state": "closed", "opens": 1}
    assert stats["health_checks"] == {"passed": 1, "failed": 1}


async def test_when_every_provider_is_open_requests_fail_fast() -> None:
    clock = FakeClock()
    a = FakeProvider("a", outcome="http_500", healthy=False)
    b = FakeProvider("b", outcome="http_502", healthy=False)
    router = make_router(breaker_cfg(), [(pconf("a"), a), (pconf("b", priority=1), b)], clock)
    await run_many(router, 3)
    calls = a.calls + b.calls
    results = await run_many(router, 50)
    assert all(r.error_kind == "all_providers_down" and r.attempts == 0 for r in results)
    assert a.calls + b.calls == calls  # nobody was called
    assert clock.sleeps == []  # nobody waited
    stats = router.stats()
    assert stats["fail_fast"] == {"all_providers_down": 50}
    assert stats["requests"] == 53
    assert stats["ok"] + stats["errors"]["total"] == 53


async def test_half_open_lets_one_probe_through_while_others_go_elsewhere() -> None:
    clock = FakeClock()
    primary, backup = FakeProvider("primary", outcome="http_503"), FakeProvider("backup")
    router = make_router(
        breaker_cfg(),
        [(pconf("primary", priority=0), primary), (pconf("backup", priority=1), backup)],
        clock,
    )
    await run_many(router, 3)
    clock.advance(5)
    primary.outcome = None
    assert (await router.call(req())).provider == "backup"  # starts the health check
    await settle(router)
    assert router.stats()["providers"]["primary"]["breaker"]["state"] == "half_open"
    gate = asyncio.Event()
    primary.gate = gate
    calls_before = primary.calls
    tasks = [asyncio.create_task(router.call(req())) for _ in range(20)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert primary.calls - calls_before == 1  # one probe in flight, the rest went elsewhere
    gate.set()
    results = await asyncio.gather(*tasks)
    assert sum(r.provider == "primary" for r in results) == 1
    assert sum(r.provider == "backup" for r in results) == 19
    assert router.stats()["providers"]["primary"]["breaker"]["state"] == "closed"


async def test_a_single_open_provider_waits_for_a_running_health_check() -> None:
    clock = FakeClock()
    only = FakeProvider("only", outcome="http_503")
    router = make_router(breaker_cfg(), [(pconf("only"), only)], clock)
    await run_many(router, 3)
    assert (await router.call(req())).error_kind == "all_providers_down"
    only.outcome = None
    clock.advance(5)
    result = await router.call(req())  # starts the check, waits for it, then probes
    assert result.ok and only.health_checks == 1
    assert router.stats()["health_waits"] == 1


async def test_without_health_check_the_provider_is_probed_after_the_timeout() -> None:
    clock = FakeClock()
    inner = FakeProvider("x", outcome="http_500")
    router = make_router(breaker_cfg(), [(pconf("x"), NoHealthProvider(inner))], clock)
    await run_many(router, 3)
    inner.outcome = None
    clock.advance(5)
    assert (await router.call(req())).ok
    assert router.stats()["timeline"][-2]["reason"] == "reset timeout passed (health checks off)"


async def test_a_hanging_health_check_counts_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    only = FakeProvider("only", outcome="http_503")

    async def hang() -> bool:
        await asyncio.sleep(3600)
        return True

    only.health_check = hang  # type: ignore[method-assign]
    router = make_router(breaker_cfg(health={"timeout_s": 0.05}), [(pconf("only"), only)], clock)
    await run_many(router, 3)
    clock.advance(5)
    assert (await router.call(req())).error_kind == "all_providers_down"
    assert router.stats()["timeline"][-1]["reason"] == "health check failed: timeout"


async def test_bad_requests_do_not_open_the_breaker() -> None:
    clock = FakeClock()
    a = FakeProvider("a", outcome="http_400")
    router = make_router(breaker_cfg(), [(pconf("a"), a)], clock)
    await run_many(router, 20)
    assert a.calls == 20
    assert router.stats()["providers"]["a"]["breaker"]["state"] == "closed"


async def test_cancelled_calls_give_their_probe_slot_back() -> None:
    clock = FakeClock()
    primary = FakeProvider("primary", outcome="http_503")
    router = make_router(breaker_cfg(), [(pconf("primary"), primary)], clock)
    await run_many(router, 3)
    clock.advance(5)
    primary.outcome = None
    primary.gate = asyncio.Event()
    task = asyncio.create_task(router.call(req()))  # waits for the check, then probes
    await until(lambda: primary.calls == 4)
    assert (await router.call(req())).error_kind == "all_providers_down"  # slot taken
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    primary.gate.set()
    assert (await router.call(req())).ok  # the slot came back
    assert router.stats()["providers"]["primary"]["in_flight"] == 0


async def test_rate_limits_reroute_then_wait_when_everyone_is_spent() -> None:
    clock = FakeClock()
    a, b = FakeProvider("a"), FakeProvider("b")
    router = make_router(
        {"strategy": "priority"},
        [(pconf("a", rpm=60, priority=0), a), (pconf("b", rpm=30, priority=1), b)],
        clock,
    )
    await run_many(router, 90)
    assert (a.calls, b.calls) == (60, 30)
    assert clock.sleeps == []
    result = await router.call(req())
    assert result.provider == "a"  # a refills one per second, b one per two
    assert clock.sleeps == pytest.approx([1.0])
    stats = router.stats()
    assert stats["rate_limit_waits"]["count"] == 1
    assert stats["providers"]["a"]["rate_limited"] >= 30


async def test_rate_limit_wait_mode_keeps_the_strategy_choice() -> None:
    clock = FakeClock()
    a, b = FakeProvider("a"), FakeProvider("b")
    router = make_router(
        {"strategy": "priority", "rate_limit": {"on_limit": "wait"}},
        [(pconf("a", rpm=60, priority=0), a), (pconf("b", priority=1), b)],
        clock,
    )
    await run_many(router, 63)
    assert (a.calls, b.calls) == (63, 0)
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])


async def test_tpm_counts_prompt_and_output_budget() -> None:
    clock = FakeClock()
    a = FakeProvider("a")
    router = make_router({}, [(pconf("a", tpm=1000), a)], clock)
    for _ in range(5):  # 100 chars ≈ 26 tokens in + 200 out = 226 each
        await router.call(req(text="x" * 100, max_tokens=200))
    left_after_four = 1000 - 4 * 226
    assert clock.sleeps == pytest.approx([(226 - left_after_four) / (1000 / 60)])


async def test_a_wait_past_max_wait_fails_with_its_own_kind() -> None:
    clock = FakeClock()
    a = FakeProvider("a")
    router = make_router({"rate_limit": {"max_wait_s": 0.5}}, [(pconf("a", rpm=60), a)], clock)
    await run_many(router, 60)
    result = await router.call(req())
    assert result.error_kind == "rate_limit_wait_exceeded"
    assert a.calls == 60


async def test_routing_time_and_call_start_are_set() -> None:
    a = FakeProvider("a")
    router = make_router({}, [(pconf("a"), a)])
    result = await router.call(req())
    assert result.stages_ns["network"] == 5  # the layer below's stages are kept
    assert 0 < result.stages_ns["routing"] < 5_000_000
    assert "routing_wait" not in result.stages_ns


async def test_report_has_percentiles_shares_and_traffic() -> None:
    clock = FakeClock()
    a, b = FakeProvider("a", e2e_ms=100), FakeProvider("b", outcome="http_500")
    router = make_router(
        {"strategy": "round_robin", **NO_BREAKER, "traffic_bucket_s": 2},
        [(pconf("a"), a), (pconf("b"), b)],
        clock,
    )
    router.mark_start()
    for _ in range(4):
        await router.call(req())
        clock.advance(1)
    stats = router.stats()
    pa = stats["providers"]["a"]
    pb = stats["providers"]["b"]
    # a, then b→a three times (round robin resumes after a, at b)
    assert pa["latency_ms"]["count"] == 4 and pa["latency_ms"]["p50"] == pytest.approx(100)
    assert pa["ttft_ms"]["p99"] == pytest.approx(50)
    assert pb["latency_ms"]["count"] == 0 and pb["latency_ms"]["p50"] is None
    assert pb["errors"]["by_kind"] == {"http_500": 3}
    assert pa["share"] == pytest.approx(4 / 7) and pb["share"] == pytest.approx(3 / 7)
    assert stats["traffic_bucket_s"] == 2
    assert pa["traffic"] == [2, 2] and pb["traffic"] == [1, 2]
    assert stats["requests"] == 4 and stats["ok"] == 4 and stats["attempts"] == 7
    assert stats["fallbacks"] == {"requests": 3, "total": 3}
    assert json.loads(json.dumps(stats)) == stats  # goes into summary.json as it is


async def test_aclose_cancels_health_checks_and_closes_callers() -> None:
    clock = FakeClock()
    a = FakeProvider("a", outcome="http_503")
    started = asyncio.Event()

    async def slow_check() -> bool:
        started.set()
        await asyncio.sleep(3600)
        return True

    a.health_check = slow_check  # type: ignore[method-assign]
    b = FakeProvider("b")
    router = make_router(breaker_cfg(), [(pconf("a"), a), (pconf("b", priority=1), b)], clock)
    await run_many(router, 3)
    clock.advance(5)
    await router.call(req())  # starts a's check, answered by b meanwhile
    await started.wait()
    await router.aclose()
    assert a.closed and b.closed
    assert router.providers[0].health_task is None
