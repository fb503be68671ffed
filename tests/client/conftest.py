"""One simulator child process for the client tests: a provider per behaviour under test."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from raafperf.client.provider import ProviderClient
from raafperf.scenario.model import ProviderConfig
from raafperf.sim import (
    FaultSpec,
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorEndpoint,
    SimulatorProcess,
)

FAST = LatencyModel(ttft_ms=5, itl_ms=1, output_tokens=8)
FAULTS = [
    "http_429",
    "http_500",
    "http_503",
    "http_529",
    "hang",
    "reset_before",
    "reset_mid_stream",
    "cut_stream",
    "malformed_event",
    "slow_headers",
]


def _spec(name: str, **config: Any) -> SimulatedProviderSpec:
    config.setdefault("latency", FAST)
    return SimulatedProviderSpec(name=name, models=[], config=SimulatorConfig(**config))


class Sim:
    def __init__(self, endpoints: dict[str, SimulatorEndpoint], truth_dir: Path) -> None:
        self.endpoints = endpoints
        self.truth_dir = truth_dir

    def client(
        self,
        provider: str,
        api: str = "openai",
        *,
        kind: str = "simulated",
        api_key_env: str | None = None,
        ca: bool = False,
        **client: Any,
    ) -> ProviderClient:
        ep = self.endpoints[provider]
        config = ProviderConfig(
            name=provider,
            kind=kind,
            api=api if kind == "simulated" else None,
            models=["m"],
            api_key_env=api_key_env,
            client=client,
        )
        ca_file = str(ep.ca_cert_path) if ca and ep.ca_cert_path else None
        return ProviderClient(config, base_url=ep.base_url, ca_file=ca_file)

    def truth(
        self, provider: str, request_ids: set[str], *, count: int = 0, timeout: float = 5.0
    ) -> list[dict]:
        """Ground-truth lines of these request ids, waiting for at least ``count`` lines
        (the simulator flushes every second)."""
        path = self.truth_dir / f"{provider}.groundtruth.jsonl"
        deadline = time.monotonic() + timeout
        while True:
            lines = []
            if path.exists():
                lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
            found = [x for x in lines if x.get("request_id") in request_ids]
            complete = {x["request_id"] for x in found} >= request_ids and len(found) >= count
            if complete or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    truth = tmp_path_factory.mktemp("groundtruth")
    specs = [
        _spec("ok"),
        _spec(
            "cost",
            connection_cost_ms=200,
            latency=LatencyModel(ttft_ms=2, itl_ms=0, output_tokens=4),
        ),
        _spec("tls", tls=True),
        # every 2nd chat call gets a 429 asking for a 1 s wait
        _spec(
            "retry429",
            faults=[
                FaultSpec(
                    kind="http_429",
                    every=2,
                    retry_after_s=1,
                    endpoints=["chat_completions", "messages"],
                )
            ],
        ),
        _spec("failing", faults=[FaultSpec(kind="http_500")]),
        _spec("gappy", latency=LatencyModel(ttft_ms=5, itl_ms=250, output_tokens=4)),
        _spec("late", latency=LatencyModel(ttft_ms=600, itl_ms=1, output_tokens=4)),
    ]
    for fault in FAULTS:
        extra = {"delay_ms": 3000} if fault == "slow_headers" else {}
        specs.append(_spec(f"f_{fault}", faults=[FaultSpec(kind=fault, **extra)]))
    with SimulatorProcess(specs, seed=3, ground_truth_dir=truth) as process:
        yield Sim(process.endpoints, truth)
