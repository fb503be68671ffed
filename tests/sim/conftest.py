"""One simulator child process for the whole area, hosting one provider per behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from raafperf.sim import (
    FaultSpec,
    LatencyModel,
    RateLimits,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorEndpoint,
    SimulatorProcess,
)

FAST = LatencyModel(ttft_ms=1, itl_ms=0, output_tokens=12)


def _spec(name: str, models: list[str] | None = None, **config: object) -> SimulatedProviderSpec:
    config.setdefault("latency", FAST)
    return SimulatedProviderSpec(name, models or [], SimulatorConfig.model_validate(config))


PROVIDERS = [
    _spec("fast"),
    _spec("strict", ["gpt-4o-mini", "claude-test"]),
    _spec("r429", faults=[FaultSpec(kind="http_429", retry_after_s=7)]),
    _spec("r500", faults=[FaultSpec(kind="http_500")]),
    _spec("r502", faults=[FaultSpec(kind="http_502")]),
    _spec("r503", faults=[FaultSpec(kind="http_503")]),
    _spec("r529", faults=[FaultSpec(kind="http_529")]),
    _spec("hang", faults=[FaultSpec(kind="hang")]),
    _spec("reset", faults=[FaultSpec(kind="reset_before")]),
    _spec("midreset", faults=[FaultSpec(kind="reset_mid_stream")]),
    _spec("cut", faults=[FaultSpec(kind="cut_stream")]),
    _spec("malformed", faults=[FaultSpec(kind="malformed_event")]),
    _spec("slow", faults=[FaultSpec(kind="slow_headers", delay_ms=300)]),
    _spec("every3", faults=[FaultSpec(kind="http_503", every=3, endpoints=["chat_completions"])]),
    _spec("limited", rate_limits=RateLimits(rpm=2, tpm=100_000)),
    _spec("tls", tls=True),
    _spec("costly", connection_cost_ms=150),
    _spec("timed", latency=LatencyModel(ttft_ms=200, itl_ms=20, output_tokens=6)),
    _spec("tools", tool_rounds=2, embedding_dim=64),
]


@pytest.fixture(scope="session")
def truth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("groundtruth")


@pytest.fixture(scope="session")
def sim_process(truth_dir: Path) -> Iterator[SimulatorProcess]:
    with SimulatorProcess(PROVIDERS, seed=11, ground_truth_dir=truth_dir) as process:
        yield process


@pytest.fixture(scope="session")
def endpoints(sim_process: SimulatorProcess) -> dict[str, SimulatorEndpoint]:
    return sim_process.endpoints


@pytest.fixture
def oai(endpoints: dict[str, SimulatorEndpoint]):
    """A factory of official OpenAI clients for a provider."""
    import openai

    def make(name: str = "fast", timeout: float = 5.0) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=endpoints[name].base_url + "/v1",
            api_key="sk-test",
            max_retries=0,
            timeout=timeout,
        )

    return make


@pytest.fixture
def ant(endpoints: dict[str, SimulatorEndpoint]):
    """A factory of official Anthropic clients for a provider."""
    import anthropic

    def make(name: str = "fast", timeout: float = 5.0) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            base_url=endpoints[name].base_url, api_key="sk-ant-test", max_retries=0, timeout=timeout
        )

    return make
