"""Each strategy through a real Router over in-process providers."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from router_testkit import FakeClock, FakeProvider, make_router, pconf, req, run_many

from raafperf.router import RouterConfig


async def test_round_robin_walks_providers_in_order() -> None:
    a, b, c = FakeProvider("a"), FakeProvider("b"), FakeProvider("c")
    router = make_router({"strategy": "round_robin"}, [(pconf(p.name), p) for p in (a, b, c)])
    results = await run_many(router, 7)
    assert [r.provider for r in results] == ["a", "b", "c", "a", "b", "c", "a"]


async def test_a_request_goes_only_to_providers_serving_its_model() -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    router = make_router(
        {"strategy": "round_robin"},
        [(pconf("a", ["m1", "m2"]), a), (pconf("b", ["m2"]), b)],
    )
    assert {(await router.call(req("m1"))).provider for _ in range(6)} == {"a"}
    assert {(await router.call(req("m2"))).provider for _ in range(6)} == {"a", "b"}
    missing = await router.call(req("nope"))
    assert not missing.ok
    assert missing.error_kind == "no_provider_for_model"
    assert missing.attempts == 0
    assert "nope" in missing.error_detail
    assert router.stats()["fail_fast"] == {"no_provider_for_model": 1}


async def test_random_is_reproducible_with_a_seed() -> None:
    ps1 = [FakeProvider(n) for n in "abcd"]
    ps2 = [FakeProvider(n) for n in "abcd"]
    r1 = make_router({"strategy": "random"}, [(pconf(p.name), p) for p in ps1], rng_seed=5)
    r2 = make_router({"strategy": "random"}, [(pconf(p.name), p) for p in ps2], rng_seed=5)
    seq1 = [r.provider for r in await run_many(r1, 200)]
    seq2 = [r.provider for r in await run_many(r2, 200)]
    assert seq1 == seq2
    assert set(Counter(seq1)) == set("abcd")
    assert max(Counter(seq1).values()) < 80  # not stuck on one


async def test_weighted_3_to_1_splits_close_to_3_to_1() -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    router = make_router(
        {"strategy": "weighted"}, [(pconf("a", weight=3), a), (pconf("b", weight=1), b)]
    )
    await run_many(router, 4000)
    share = router.stats()["providers"]["a"]["share"]
    assert share == pytest.approx(0.75, abs=0.025)
    assert a.calls + b.calls == 4000


async def test_router_section_overrides_weights_for_a_variant() -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    router = make_router(
        {"strategy": "weighted", "providers": {"b": {"weight": 9}}},
        [(pconf("a", weight=1), a), (pconf("b", weight=1), b)],
    )
    await run_many(router, 2000)
    assert router.stats()["providers"]["b"]["share"] == pytest.approx(0.9, abs=0.03)


async def test_priority_uses_the_lowest_number_and_rotates_among_equals() -> None:
    first, second, third = FakeProvider("first"), FakeProvider("second"), FakeProvider("third")
    router = make_router(
        {"strategy": "priority"},
        [
            (pconf("third", priority=5), third),
            (pconf("second", priority=1), second),
            (pconf("first", priority=1), first),
        ],
    )
    results = await run_many(router, 10)
    assert Counter(r.provider for r in results) == {"second": 5, "first": 5}
    assert third.calls == 0


async def test_least_latency_sends_most_traffic_to_the_fast_provider() -> None:
    fast = FakeProvider("fast", ttft_ms=20)
    slow = FakeProvider("slow", ttft_ms=300)
    mid = FakeProvider("mid", ttft_ms=120)
    router = make_router(
        {"strategy": "least_latency"}, [(pconf(p.name), p) for p in (slow, mid, fast)]
    )
    await run_many(router, 300)
    assert slow.calls >= 1 and mid.calls >= 1  # unmeasured providers get tried
    assert fast.calls >= 295
    stats = router.stats()["providers"]
    assert stats["fast"]["ewma_ms"] == pytest.approx(20, rel=0.01)


async def test_least_latency_shares_among_providers_within_the_buffer() -> None:
    a = FakeProvider("a", ttft_ms=100)
    b = FakeProvider("b", ttft_ms=105)
    c = FakeProvider("c", ttft_ms=200)
    router = make_router(
        {"strategy": "least_latency", "least_latency": {"buffer": 0.1}},
        [(pconf(p.name), p) for p in (a, b, c)],
    )
    await run_many(router, 400)
    assert a.calls > 120 and b.calls > 120
    assert c.calls == 1


async def test_least_latency_can_use_e2e() -> None:
    # a: quick first token, long answer; b: the other way round
    a = FakeProvider("a", ttft_ms=10, e2e_ms=900)
    b = FakeProvider("b", ttft_ms=80, e2e_ms=100)
    router = make_router(
        {"strategy": "least_latency", "least_latency": {"metric": "e2e"}},
        [(pconf("a"), a), (pconf("b"), b)],
    )
    await run_many(router, 50)
    assert b.calls > 45


async def test_least_busy_picks_the_provider_with_fewest_in_flight() -> None:
    gate = asyncio.Event()
    held = FakeProvider("held", gate=gate)
    free = FakeProvider("free")
    router = make_router({"strategy": "least_busy"}, [(pconf("held"), held), (pconf("free"), free)])
    blocked = asyncio.create_task(router.call(req()))
    await asyncio.sleep(0)
    assert held.calls == 1  # the tie went to the first
    results = await run_many(router, 5)
    assert {r.provider for r in results} == {"free"}
    assert router.stats()["providers"]["held"]["in_flight"] == 1
    gate.set()
    assert (await blocked).provider == "held"


async def test_cost_picks_the_cheapest_and_ranks_unpriced_last() -> None:
    cheap, dear, unknown = FakeProvider("cheap"), FakeProvider("dear"), FakeProvider("unknown")
    prices = {("cheap", "m"): 0.15, ("dear", "m"): 2.5}
    router = make_router(
        {"strategy": "cost"},
        [(pconf("unknown"), unknown), (pconf("dear"), dear), (pconf("cheap"), cheap)],
        price_of=lambda provider, model: prices.get((provider, model)),
    )
    await run_many(router, 5)
    assert cheap.calls == 5
    # an override in the router section beats the price table
    router2 = make_router(
        {"strategy": "cost", "providers": {"dear": {"price": 0.01}}},
        [(pconf("dear"), dear), (pconf("cheap"), cheap)],
        price_of=lambda provider, model: prices.get((provider, model)),
    )
    assert (await router2.call(req())).provider == "dear"


async def test_cost_falls_back_when_the_cheapest_fails() -> None:
    cheap = FakeProvider("cheap", outcome="http_500")
    dear = FakeProvider("dear")
    router = make_router(
        {"strategy": "cost", "breaker": {"enabled": False}},
        [(pconf("cheap"), cheap), (pconf("dear"), dear)],
        price_of=lambda provider, model: {"cheap": 1.0, "dear": 3.0}[provider],
    )
    result = await router.call(req())
    assert result.ok and result.provider == "dear" and result.fallbacks == 1


def test_every_strategy_builds_from_a_variant_override() -> None:
    for name in (
        "round_robin",
        "random",
        "weighted",
        "priority",
        "least_latency",
        "least_busy",
        "cost",
    ):
        cfg = RouterConfig.model_validate({"strategy": name})
        make_router(cfg, [(pconf("a"), FakeProvider("a"))], FakeClock())


async def test_least_latency_stops_offering_an_unmeasured_provider_that_only_fails() -> None:
    broken = FakeProvider("broken", outcome="http_500")
    fine = FakeProvider("fine")
    router = make_router(
        {"strategy": "least_latency", "breaker": {"enabled": False}},
        [(pconf("broken"), broken), (pconf("fine"), fine)],
    )
    results = await run_many(router, 50)
    assert all(r.ok for r in results)
    assert broken.calls == 3
