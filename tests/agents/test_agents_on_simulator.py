"""Agents through the real ProviderClient to the real simulator, on both APIs."""

from __future__ import annotations

import asyncio
import json

import pytest

from raafperf.agents.config import AgentConfig
from raafperf.agents.pool import AgentPool
from raafperf.agents.runner import AgentRunner
from raafperf.agents.summary import summarize_agents
from raafperf.client.provider import ProviderClient
from raafperf.scenario.model import ProviderConfig, QueryItem
from raafperf.sim import (
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorServer,
    read_ground_truth,
)


def client(base_url: str, api: str) -> ProviderClient:
    config = ProviderConfig(name="sim", kind="simulated", api=api, models=["sim-model"])
    return ProviderClient(config, base_url=base_url)


FAST = SimulatorConfig(latency=LatencyModel(ttft_ms=3, itl_ms=1, output_tokens=4))

AGENT = AgentConfig(
    name="trip",
    model="sim-model",
    instructions="Plan trips.",
    tool_rounds=3,
    tool_sequence=["weather", "search"],
    tools=[
        {
            "name": "search",
            "latency_ms": 4,
            "result": "found {query}",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
        {
            "name": "weather",
            "latency_ms": {"dist": "uniform", "min": 1, "max": 3},
            "result": '{"city": "{city}", "sky": "clear"}',
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    ],
)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
async def test_two_tool_agent_on_the_simulator(tmp_path, api: str, stream: bool) -> None:
    spec = SimulatedProviderSpec("sim", ["sim-model"], FAST)
    async with SimulatorServer([spec], ground_truth_dir=tmp_path) as sim:
        caller = client(sim.endpoints["sim"].base_url, api)
        try:
            runner = AgentRunner(AGENT, caller, stream=stream, seed=1)
            out = await runner.run(QueryItem(text="Paris in May?"), request_id=f"{api}-1")
            short = await runner.run(
                QueryItem(text="Just search", tool_rounds=1, tools=["search"]),
                request_id=f"{api}-2",
            )
        finally:
            await caller.aclose()

    assert out.ok, (out.error_kind, out.error_detail)
    assert out.turns == 4 and all(c.ok for c in out.calls)
    assert [t.name for t in out.tools] == ["weather", "search", "weather"]
    assert all(t.ok and t.end_ns > t.start_ns for t in out.tools)
    for call, tool, after in zip(out.calls, out.tools, out.calls[1:], strict=False):
        assert call.end_ns <= tool.start_ns <= tool.end_ns <= after.start_ns
    assert out.text and out.calls[-1].finish_reason == "stop"
    assert {c.finish_reason for c in out.calls[:-1]} == {"tool_calls"}
    assert all(c.provider == "sim" and c.usage_reported for c in out.calls)
    if stream:  # the final answer came token by token
        assert len(out.calls[-1].token_ns) > 1
    # The tool results went back and the model saw them: the arguments the simulator made up
    # are what the template filled in.
    weather_args = json.loads(next(c.tool_calls[0].arguments for c in out.calls if c.tool_calls))
    assert set(weather_args) == {"city"}
    assert short.ok and short.turns == 2 and [t.name for t in short.tools] == ["search"]

    truth = read_ground_truth(tmp_path / "sim.groundtruth.jsonl")
    by_id: dict[str, list] = {}
    for rec in truth:
        by_id.setdefault(rec["request_id"], []).append(rec)
    assert len(by_id[f"{api}-1"]) == 4 and len(by_id[f"{api}-2"]) == 2
    assert {rec["endpoint"] for rec in truth} == {
        "chat_completions" if api == "openai" else "messages"
    }
    assert all(rec["stream"] is stream for rec in truth)


async def test_pool_on_the_simulator_anthropic_streaming() -> None:
    spec = SimulatedProviderSpec("sim", [], FAST)
    async with SimulatorServer([spec]) as sim:
        caller = client(sim.endpoints["sim"].base_url, "anthropic")
        try:
            pool = AgentPool([AGENT.model_copy(update={"pool_size": 2})], caller, stream=True)
            warm = await pool.warm_up(2)

            async def one(i: int):
                async with pool.acquire("trip") as runner:
                    return await runner.run(
                        QueryItem(text=f"q{i}", tool_rounds=1), request_id=f"m-{i}"
                    )

            outs = await asyncio.gather(*(one(i) for i in range(6)))
        finally:
            await caller.aclose()
    assert all(o.ok for o in warm) and all(len(o.tools) == 3 for o in warm)
    assert all(o.ok and o.turns == 2 for o in outs)
    stats = pool.stats()["agents"]["trip"]
    assert stats["built"] == 2 and stats["max_in_use"] == 2 and stats["acquired"] == 8
    summary = summarize_agents(outs)["trip"]
    assert summary["requests"] == 6 and summary["tool_calls"] == 6
    assert summary["time_ms"]["model"]["share"] > 0 and summary["time_ms"]["tools"]["share"] > 0
