"""CachedCaller over a counting model caller, on every backend."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cache_testkit import CountingCaller, FakeClock, make_request

from raafperf.agents.config import AgentConfig, ToolConfig
from raafperf.cache import build_cache_layer
from raafperf.cache.config import CacheConfig

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


async def test_miss_then_hit_returns_the_stored_answer(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(make_config(), inner, clock=clock)
    first = await layer.call(make_request(tools=[TOOL]))
    assert (first.cache, first.provider, inner.calls) == ("miss", "inner", 1)
    assert first.stages_ns["cache_lookup"] >= 0 and "cache_store" in first.stages_ns
    hit = await layer.call(make_request(tools=[TOOL]))
    assert inner.calls == 1
    assert (hit.cache, hit.provider, hit.ok, hit.attempts) == ("hit", "cache", True, 0)
    assert (hit.text, hit.model, hit.finish_reason, hit.status) == (
        first.text,
        first.model,
        "stop",
        200,
    )
    assert [(t.name, t.arguments) for t in hit.tool_calls] == [("lookup", '{"q":1}')]
    assert (hit.prompt_tokens, hit.completion_tokens, hit.usage_reported) == (20, 10, True)
    assert hit.start_ns <= hit.first_token_ns <= hit.end_ns
    assert hit.stages_ns["cache_lookup"] == hit.end_ns - hit.start_ns
    stats = layer.stats()
    assert (stats["hits"], stats["misses"], stats["stores"], stats["hit_rate"]) == (1, 1, 1, 0.5)
    assert stats["saved"]["total_tokens"] == 30
    await layer.aclose()


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.9},
        {"tools": [TOOL]},
        {"system": "You are a pirate."},
        {"model": "gpt-4o"},
        {"max_tokens": 5},
        {"seed": 42},
        {"agent": "other"},
    ],
)
async def test_requests_that_differ_never_hit_each_other(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock, change: dict
) -> None:
    layer = build_cache_layer(make_config(), inner, clock=clock)
    assert (await layer.call(make_request(temperature=0.0))).cache == "miss"
    changed = make_request(**{"temperature": 0.0, **change})
    assert (await layer.call(changed)).cache == "miss"
    assert inner.calls == 2
    assert (await layer.call(changed)).cache == "hit"
    await layer.aclose()


async def test_errors_and_cut_streams_are_never_stored(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(make_config(), inner, clock=clock)
    inner.mode = "error"
    assert (await layer.call(make_request())).error_kind == "http_503"
    inner.mode = "cut"
    cut = await layer.call(make_request())
    assert (cut.cache, cut.error_kind) == ("miss", "stream_cut")
    inner.mode = "ok"
    assert (await layer.call(make_request())).cache == "miss"
    assert (await layer.call(make_request())).cache == "hit"
    stats = layer.stats()
    assert stats["not_stored"] == {"error": 2} and stats["stores"] == 1
    await layer.aclose()


async def test_entries_expire_after_their_ttl(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(make_config(ttl_s=60), inner, clock=clock)
    await layer.call(make_request())
    clock.advance(59)
    assert (await layer.call(make_request())).cache == "hit"
    clock.advance(2)
    assert (await layer.call(make_request())).cache == "miss"
    assert layer.stats()["expirations"] == 1
    await layer.aclose()


async def test_smart_strategy_skips_personal_and_time_sensitive_and_caches_factual(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    agents = [AgentConfig(name="prices", model="m", tools=[ToolConfig(name="current_price")])]
    layer = build_cache_layer(make_config(strategy="smart"), inner, agents=agents, clock=clock)
    for _ in range(2):
        personal = await layer.call(make_request("What is my account balance?"))
        timely = await layer.call(make_request("What's the weather today?"))
        priced = await layer.call(make_request("Price of gold", agent="prices"))
        assert personal.cache == "skip:personal"
        assert timely.cache == "skip:time_sensitive"
        assert priced.cache == "skip:current_data_tool"
        assert "cache_lookup" in personal.stages_ns
    assert inner.calls == 6
    assert (await layer.call(make_request("What is the capital of France?"))).cache == "miss"
    again = await layer.call(make_request("  what is the CAPITAL of france "))
    assert again.cache == "hit"
    stats = layer.stats()
    assert stats["skips"] == {"personal": 2, "time_sensitive": 2, "current_data_tool": 2}
    assert stats["ttl_rules"] == {"factual": 1}
    entries = await layer.backend.entries()
    assert [e.expires_at - e.created_at for _, e in entries] == [86400]
    await layer.aclose()


async def test_user_dimension_keeps_users_apart(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    config = make_config(context={"dimensions": ["user"]})
    layer = build_cache_layer(config, inner, clock=clock)
    alice = await layer.call(make_request(context={"user": "alice"}))
    bob = await layer.call(make_request(context={"user": "bob"}))
    assert (alice.cache, bob.cache) == ("miss", "miss")
    assert alice.text != bob.text
    alice_again = await layer.call(make_request(context={"user": "alice"}))
    bob_again = await layer.call(make_request(context={"user": "bob"}))
    assert (alice_again.text, bob_again.text) == (alice.text, bob.text)
    assert inner.calls == 2
    await layer.aclose()


async def test_time_bucket_dimension_starts_fresh_each_bucket(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    config = make_config(context={"dimensions": ["time"], "time_bucket_s": 600})
    clock.now = 1_700_000_400.0  # a bucket boundary
    layer = build_cache_layer(config, inner, clock=clock)
    await layer.call(make_request())
    clock.advance(599)
    assert (await layer.call(make_request())).cache == "hit"
    clock.advance(1)
    assert (await layer.call(make_request())).cache == "miss"
    await layer.aclose()


async def test_invalidation_by_agent_and_pattern(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(make_config(), inner, clock=clock)
    await layer.call(make_request("Weather in Paris", agent="weather"))
    await layer.call(make_request("Weather in Rome", agent="weather"))
    await layer.call(make_request("Capital of Peru", agent="geo"))
    assert await layer.invalidate(pattern="*paris*") == 1
    assert (await layer.call(make_request("Weather in Paris", agent="weather"))).cache == "miss"
    assert await layer.invalidate(agent="weather") == 2
    assert (await layer.call(make_request("Weather in Rome", agent="weather"))).cache == "miss"
    assert (await layer.call(make_request("Capital of Peru", agent="geo"))).cache == "hit"
    assert layer.stats()["invalidated"] == 3
    await layer.aclose()


async def test_stats_report_everything_and_dollars_with_a_price_function(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    def price(model: str, prompt: int, completion: int) -> float | None:
        return None if model.startswith("unpriced") else prompt * 1e-6 + completion * 4e-6

    layer = build_cache_layer(make_config(), inner, clock=clock, price_fn=price)
    for _ in range(3):
        await layer.call(make_request())
    await layer.call(make_request(model="unpriced-model"))
    await layer.call(make_request(model="unpriced-model"))
    stats = await layer.astats()
    json.dumps(stats)  # it goes into summary.json as is
    assert stats["saved"]["usd"] == pytest.approx(2 * (20e-6 + 40e-6))
    assert stats["saved"]["unpriced_hits"] == 1
    assert stats["size"]["entries"] == 2 and stats["size"]["bytes"] > 0
    assert stats["latency_ms"]["hit"]["count"] == 3
    assert stats["latency_ms"]["miss"]["count"] == 2
    assert stats["backend"]["name"] == make_config().backend
    await layer.aclose()
    closed = layer.stats()
    assert closed["size"]["entries"] == 2


async def test_strategy_never_passes_through_and_says_so(inner: CountingCaller) -> None:
    layer = build_cache_layer(CacheConfig(strategy="never"), inner)
    for _ in range(2):
        result = await layer.call(make_request())
        assert result.cache == "off" and result.provider == "inner"
    stats = layer.stats()
    assert (stats["enabled"], stats["strategy"], stats["requests"], stats["hits"]) == (
        False,
        "never",
        2,
        0,
    )
    assert inner.calls == 2
    await layer.aclose()


async def test_an_unreachable_backend_never_fails_a_call(
    inner: CountingCaller, clock: FakeClock
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    config = CacheConfig(strategy="always", backend="redis", url=f"redis://127.0.0.1:{port}/0")
    layer = build_cache_layer(config, inner, clock=clock)
    result = await layer.call(make_request())
    assert (result.ok, result.cache) == (True, "skip:backend_error")
    stats = layer.stats()
    assert stats["backend_errors"] == 1 and "Connection" in stats["last_backend_error"]
    from raafperf.errors import RunFailed

    with pytest.raises(RunFailed, match="unavailable"):
        await layer.check()
    await layer.aclose()
