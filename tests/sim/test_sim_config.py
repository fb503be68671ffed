"""Configuration: validation, file loading, seeded sampling and deterministic answers."""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from raafperf.errors import ScenarioError
from raafperf.sim import (
    Distribution,
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorServer,
)
from raafperf.sim.cli_entry import load_config
from raafperf.sim.sampling import LatencySampler, Sampler
from raafperf.sim.text import WORDS, count_tokens


def test_defaults_are_sensible() -> None:
    cfg = SimulatorConfig()
    assert cfg.faults == [] and cfg.rate_limits is None and not cfg.tls
    assert cfg.connection_cost_ms == 0 and cfg.embedding_dim == 256 and cfg.tool_rounds == 1
    assert cfg.latency.ttft_ms.value == 50


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latency": {"ttft_ms": {"dist": "lognormal", "median": 50}}}, "needs p99"),
        ({"latency": {"ttft_ms": {"dist": "lognormal", "median": 50, "p99": 10}}}, "at least the"),
        ({"latency": {"itl_ms": {"dist": "uniform", "min": 5, "max": 1}}}, "max must be at least"),
        ({"faults": [{"kind": "explode"}]}, "kind"),
        ({"tls": True, "colour": "red"}, "Extra inputs are not permitted"),
        ({"embedding_dim": 0}, "greater than or equal to 1"),
        ({"connection_cost_ms": -1}, "greater than or equal to 0"),
    ],
)
def test_invalid_configs_are_refused_clearly(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SimulatorConfig.model_validate(data)


def test_config_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    good = tmp_path / "sim.yaml"
    good.write_text("latency:\n  ttft_ms: 120\nfaults:\n  - kind: http_429\n    every: 5\n")
    cfg = load_config(good)
    assert cfg.latency.ttft_ms.value == 120 and cfg.faults[0].every == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text("faults:\n  - kind: http_429\n    every: 0\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: faults\.0\.every: "):
        load_config(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("latency: [\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_config(broken)


def test_lognormal_follows_median_and_p99() -> None:
    sample = Sampler(Distribution(dist="lognormal", median=100, p99=400), random.Random(1))
    draws = sorted(sample() for _ in range(20_000))
    assert statistics.median(draws) == pytest.approx(100, rel=0.05)
    assert draws[int(len(draws) * 0.99)] == pytest.approx(400, rel=0.1)


def test_latency_draws_are_seeded() -> None:
    model = LatencyModel(
        ttft_ms={"dist": "normal", "mean": 50, "stddev": 10},
        output_tokens={"dist": "uniform", "min": 5, "max": 50},
    )
    a, b, c = LatencySampler(model, 7), LatencySampler(model, 7), LatencySampler(model, 8)
    assert [a.offsets_ns(a.tokens()) for _ in range(5)] == [
        b.offsets_ns(b.tokens()) for _ in range(5)
    ]
    assert a.offsets_ns(3) != c.offsets_ns(3)


def test_every_answer_word_is_one_token() -> None:
    assert all(count_tokens(" " + w) == 1 for w in WORDS)


async def test_answers_depend_on_seed_and_content_only() -> None:
    spec = SimulatedProviderSpec("d", [], SimulatorConfig(latency=LatencyModel(ttft_ms=0)))

    async def answers(seed: int) -> list[str]:
        out = []
        async with SimulatorServer([spec], seed=seed) as sim, httpx.AsyncClient() as client:
            for text in ("one", "two", "one"):
                r = await client.post(
                    sim.endpoints["d"].base_url + "/v1/chat/completions",
                    headers={"authorization": "Bearer k"},
                    json={"model": "m", "messages": [{"role": "user", "content": text}]},
                )
                out.append(r.json()["choices"][0]["message"]["content"])
        return out

    first, again, other = await answers(1), await answers(1), await answers(2)
    assert first == again
    assert first[0] == first[2] != first[1]
    assert other != first
