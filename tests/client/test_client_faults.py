"""Every simulator fault becomes its error kind; retries honour Retry-After and the budget."""

from __future__ import annotations

import asyncio

import pytest

from raafperf.client.types import ChatRequest

EXPECTED = {
    # fault: (kind when streamed, kind when not streamed)
    "http_429": ("http_429", "http_429"),
    "http_500": ("http_500", "http_500"),
    "http_503": ("http_503", "http_503"),
    "http_529": ("http_529", "http_529"),
    "hang": ("timeout_read", "timeout_read"),
    "slow_headers": ("timeout_read", "timeout_read"),
    "reset_before": ("connection_reset", "connection_reset"),
    "reset_mid_stream": ("stream_broken", "connection_reset"),
    "cut_stream": ("stream_cut", "stream_cut"),
    "malformed_event": ("malformed_event", "malformed_event"),
}


def ask(**kw) -> ChatRequest:
    return ChatRequest(model="m", messages=[{"role": "user", "content": "Hi"}], **kw)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("fault", sorted(EXPECTED))
async def test_fault_becomes_its_kind(sim, fault: str, transport: str) -> None:
    cases = [("openai", True), ("anthropic", True), ("openai", False)]
    for api, stream in cases:
        async with sim.client(
            f"f_{fault}", api, transport=transport, timeouts={"read": 0.3}
        ) as client:
            r = await client.call(ask(stream=stream))
        want = EXPECTED[fault][0 if stream else 1]
        assert not r.ok, (api, stream)
        assert r.error_kind == want, (api, stream, r.error_detail)
        assert r.attempts == 1 and r.attempt_errors == []
        assert r.end_ns >= r.start_ns
        if want.startswith("http_"):
            assert r.status == int(want[5:])
            assert r.error_detail  # the body's error type is kept
        if want in ("stream_broken", "stream_cut") and stream:
            assert r.first_token_ns is not None and 0 < len(r.token_ns) < 8


async def test_no_retry_once_output_has_streamed(sim) -> None:
    retries = {"max_attempts": 3, "backoff_base_s": 0.001}
    async with sim.client("f_reset_mid_stream", retries=retries) as client:
        broken = await client.call(ask())
    assert broken.error_kind == "stream_broken" and broken.attempts == 1
    async with sim.client("f_cut_stream", retries=retries) as client:
        cut = await client.call(ask())  # stream_cut is retryable, but tokens were shown
    assert cut.error_kind == "stream_cut" and cut.attempts == 1
    assert "not retried: output already streamed" in cut.error_detail
    async with sim.client("f_cut_stream", retries=retries) as client:
        whole = await client.call(ask(stream=False))  # nothing shown yet: retried
    assert whole.error_kind == "stream_cut" and whole.attempts == 3
    assert whole.attempt_errors == ["stream_cut", "stream_cut"]


async def test_429_with_retry_after_is_waited_out(sim) -> None:
    retries = {"max_attempts": 3, "backoff_base_s": 0.01, "backoff_cap_s": 0.05}
    async with sim.client("retry429", retries=retries) as client:
        warm = await client.call(ask())  # the first chat call passes, the second gets 429
        r = await client.call(ask(headers={"x-raafperf-request-id": "r429"}))
    assert warm.ok and warm.attempts == 1
    assert r.ok, r.error_detail
    assert r.attempts == 2 and r.attempt_errors == ["http_429"]
    assert r.stages_ns["retries"] >= 1_000_000_000
    arrivals = sorted(t["arrived_ns"] for t in sim.truth("retry429", {"r429"}, count=2))
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 1_000_000_000  # no retry before Retry-After
    # sent_ns is the first attempt's: the retry's wait is the provider's to answer for.
    assert r.start_ns < r.sent_ns < arrivals[0] < r.first_token_ns


async def test_retry_budget_caps_attempts_against_a_failing_provider(sim) -> None:
    retries = {
        "max_attempts": 4,
        "backoff_base_s": 0.001,
        "backoff_cap_s": 0.002,
        "budget": {"ratio": 0.2, "min_per_second": 0.1, "window_s": 10},
    }
    async with sim.client("failing", retries=retries) as client:
        results = await asyncio.gather(*[client.call(ask()) for _ in range(20)])
        stats = client.stats()
    attempts = sum(r.attempts for r in results)
    assert all(r.error_kind == "http_500" for r in results)
    # 20 calls may retry 0.2 * 20 + 0.1 * 10 = 5 times, not 3 * 20 = 60
    assert 21 <= attempts <= 25
    assert stats["requests"] == attempts and stats["retries"] == attempts - 20
    assert stats["retry_budget_refused"] > 0
    assert any("retry budget exhausted" in r.error_detail for r in results)


async def test_no_budget_means_every_attempt(sim) -> None:
    retries = {"max_attempts": 3, "backoff_base_s": 0.001, "budget": None}
    async with sim.client("failing", retries=retries) as client:
        r = await client.call(ask(stream=False))
    assert r.attempts == 3 and r.attempt_errors == ["http_500", "http_500"]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_read_timeout_is_per_read_not_per_response(sim, transport: str) -> None:
    # gappy: a token every 250 ms (750 ms in all); late: 600 ms before the first token
    async with sim.client("gappy", transport=transport, timeouts={"read": 0.45}) as client:
        slow_but_alive = await client.call(ask())
    assert slow_but_alive.ok, slow_but_alive.error_detail
    assert (slow_but_alive.end_ns - slow_but_alive.start_ns) / 1e9 > 0.7
    async with sim.client("gappy", transport=transport, timeouts={"read": 0.1}) as client:
        stalled = await client.call(ask())
    assert stalled.error_kind == "stream_broken", stalled.error_detail
    assert "Timeout" in stalled.error_detail and len(stalled.token_ns) == 1
    assert (stalled.end_ns - stalled.start_ns) / 1e9 < 0.25
    for api in ("openai", "anthropic"):
        async with sim.client("late", api, transport=transport, timeouts={"read": 0.2}) as client:
            late = await client.call(ask())
        assert late.error_kind == "timeout_read", (api, late.error_detail)
        assert (late.end_ns - late.start_ns) / 1e9 < 0.5
