"""CachedCaller over the real ProviderClient against the real simulator."""

from __future__ import annotations

import pytest
from cache_testkit import FakeClock, make_request

from raafperf.cache import build_cache_layer
from raafperf.cache.config import CacheConfig
from raafperf.client.provider import ProviderClient
from raafperf.scenario.model import ProviderConfig
from raafperf.sim import (
    FaultSpec,
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorServer,
)

FAST = SimulatorConfig(latency=LatencyModel(ttft_ms=20, itl_ms=2, output_tokens=8))


def client(base_url: str, api: str = "openai") -> ProviderClient:
    config = ProviderConfig(name="sim", kind="simulated", api=api, models=["gpt-4o-mini"])
    return ProviderClient(config, base_url=base_url)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
async def test_hits_replay_the_simulators_answer_without_calling_it(
    api: str, stream: bool, tmp_path
) -> None:
    spec = SimulatedProviderSpec(name="sim", models=["gpt-4o-mini"], config=FAST)
    async with SimulatorServer([spec], seed=1) as sim:
        provider = client(sim.endpoints["sim"].base_url, api)
        config = CacheConfig(strategy="always", backend="sqlite", path=str(tmp_path / "c.db"))
        layer = build_cache_layer(config, provider, clock=FakeClock())
        miss = await layer.call(make_request(stream=stream))
        hit = await layer.call(make_request(stream=stream))
        assert miss.ok and (miss.cache, hit.cache) == ("miss", "hit")
        assert provider.calls == 1
        assert (hit.text, hit.completion_tokens, hit.prompt_tokens) == (
            miss.text,
            miss.completion_tokens,
            miss.prompt_tokens,
        )
        assert miss.completion_tokens == 8
        # the hit costs a lookup, the miss at least the simulated model's 20 ms TTFT
        assert hit.end_ns - hit.start_ns < miss.end_ns - miss.start_ns
        assert layer.stats()["saved"]["completion_tokens"] == 8
        await layer.aclose()
        await provider.aclose()


async def test_provider_errors_are_not_cached() -> None:
    faulty = SimulatorConfig(latency=FAST.latency, faults=[FaultSpec(kind="http_503", every=2)])
    spec = SimulatedProviderSpec(name="sim", models=["gpt-4o-mini"], config=faulty)
    async with SimulatorServer([spec], seed=1) as sim:
        provider = client(sim.endpoints["sim"].base_url)
        layer = build_cache_layer(CacheConfig(strategy="always"), provider, clock=FakeClock())
        outcomes = []
        for _ in range(4):
            result = await layer.call(make_request("What is the capital of Peru?"))
            outcomes.append((result.cache, result.ok, result.error_kind))
        assert outcomes[0] == ("miss", True, None)
        assert outcomes[1:] == [("hit", True, None)] * 3
        first = []
        for i in range(3):  # provider requests 2, 3, 4: the 2nd and 4th fail
            result = await layer.call(make_request(f"Question {i} about Chile"))
            first.append((result.cache, result.ok))
        assert first == [("miss", False), ("miss", True), ("miss", False)]
        again = await layer.call(make_request("Question 0 about Chile"))
        assert again.cache == "miss"  # the failure was not stored
        assert (await layer.call(make_request("Question 1 about Chile"))).cache == "hit"
        assert layer.stats()["not_stored"] == {"error": 2}
        await layer.aclose()
        await provider.aclose()


async def test_endpoint_embedder_through_the_pooled_client() -> None:
    spec = SimulatedProviderSpec(name="sim", models=[], config=FAST)
    async with SimulatorServer([spec], seed=1) as sim:
        provider = client(sim.endpoints["sim"].base_url)
        config = CacheConfig(
            strategy="always",
            semantic={
                "enabled": True,
                "embedder": "endpoint",
                "provider": "sim",
                "model": "text-embedding-3-small",
                "dimensions": 64,
            },
        )
        layer = build_cache_layer(config, provider, clock=FakeClock(), embed_client=provider)
        assert (await layer.call(make_request("Tell me about Lima"))).cache == "miss"
        # the simulator's vectors are random per text: a rewording is not close, so no hit
        assert (await layer.call(make_request("Tell me something about Lima"))).cache == "miss"
        assert (await layer.call(make_request("Tell me about Lima"))).cache == "hit"
        stats = layer.stats()
        assert stats["semantic"]["embedder"] == "endpoint:text-embedding-3-small:64"
        assert stats["latency_ms"]["embed"]["count"] == 2 and stats["embed_errors"] == 0
        entries = await layer.backend.entries()
        scopes = {e.scope for _, e in entries}
        scope = scopes.pop()
        records = await layer.backend.sem_get(scope, await layer.backend.sem_keys(scope, 10))
        assert len(records) == 2 and all(len(r) > 64 * 4 for r in records.values())
        await layer.aclose()
        await provider.aclose()
