from __future__ import annotations

import json

import pandas as pd
import pytest
from agents_helpers import ScriptedCaller

from raafperf.agents.config import AgentConfig
from raafperf.agents.runner import AgentRunner
from raafperf.agents.summary import summarize_agents
from raafperf.scenario.model import QueryItem


async def _outcomes():
    tools = [{"name": "slow", "latency_ms": 30}, {"name": "flaky", "failure_rate": 1.0}]
    agent = AgentConfig(
        name="a", model="m", tools=tools, tool_rounds=2, tool_sequence=["slow", "flaky"]
    )
    plain = AgentConfig(name="b", model="m")
    caller = ScriptedCaller(latency_s=0.01)
    outs = [
        await AgentRunner(agent, caller, stream=True).run("x", request_id=f"a{i}") for i in range(3)
    ]
    outs.append(await AgentRunner(plain, caller, stream=True).run("y", request_id="b0"))
    outs.append(
        await AgentRunner(agent, ScriptedCaller(fail_turn=1), stream=True).run(
            QueryItem(text="z"), request_id="a-err"
        )
    )
    return outs


async def test_summary_from_outcomes() -> None:
    summary = await _summary_from_outcomes()
    a, b = summary["a"], summary["b"]
    assert a["requests"] == 4 and a["ok"] == 3 and a["errors"] == {"http_503": 1}
    assert a["model_calls"] == 3 * 3 + 1 and a["tool_calls"] == 6
    assert a["turns_per_request"] == {"mean": (3 * 3 + 1) / 4, "max": 3}
    assert a["tool_errors"] == 3 and a["tool_error_rate"] == 0.5
    assert a["tools"]["flaky"]["calls"] == 3 and a["tools"]["flaky"]["errors"] == 3
    assert a["tools"]["slow"]["mean_ms"] >= 29
    model, tools = a["time_ms"]["model"], a["time_ms"]["tools"]
    assert model["share"] + tools["share"] == pytest.approx(1.0)
    assert tools["mean"] >= 30 * 3 / 4 * 0.99 and model["mean"] >= 10 * 9 / 4 * 0.99
    assert b["tool_calls"] == 0 and b["time_ms"]["tools"]["share"] == 0.0
    assert b["tool_error_rate"] is None and "agent_wait_ms" in b
    json.dumps(summary)  # it goes into summary.json as is


async def _summary_from_outcomes():
    return summarize_agents(await _outcomes())


async def test_summary_from_saved_frames_matches_live() -> None:
    outs = await _outcomes()
    live = summarize_agents(outs)
    requests, calls = [], []
    for idx, o in enumerate(outs):
        requests.append(
            {
                "variant": "baseline",
                "idx": idx,
                "phase": "measure",
                "agent": o.agent,
                "ok": o.ok,
                "error_kind": o.error_kind or "",
                "turns": o.turns,
                "model_calls": len(o.calls),
                "tool_calls": len(o.tools),
                "model_ms": o.model_ms,
                "tool_ms": o.tool_ms,
            }
        )
        for i, c in enumerate(o.calls):
            calls.append(
                {
                    "variant": "baseline",
                    "request_idx": idx,
                    "call_idx": i,
                    "kind": "model",
                    "name": c.model,
                    "agent": o.agent,
                    "ok": c.ok,
                    "duration_ms": (c.end_ns - c.start_ns) / 1e6,
                }
            )
        for i, t in enumerate(o.tools):
            calls.append(
                {
                    "variant": "baseline",
                    "request_idx": idx,
                    "call_idx": 100 + i,
                    "kind": "tool",
                    "name": t.name,
                    "agent": o.agent,
                    "ok": t.ok,
                    "duration_ms": t.duration_ns / 1e6,
                }
            )
    # A warm-up request is left out.
    requests.append({**requests[0], "idx": 99, "phase": "warmup"})
    calls.append({**calls[-1], "request_idx": 99, "kind": "tool", "ok": False})
    saved = summarize_agents(pd.DataFrame(requests), pd.DataFrame(calls))
    for name in live:
        expected = {k: v for k, v in live[name].items() if k != "agent_wait_ms"}
        _close(saved[name], expected)


def _close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key in want:
        if isinstance(want[key], dict):
            _close(got[key], want[key])
        elif isinstance(want[key], float):
            assert got[key] == pytest.approx(want[key]), key
        else:
            assert got[key] == want[key], key


def test_empty() -> None:
    assert summarize_agents([]) == {}
