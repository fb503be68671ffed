from __future__ import annotations

import itertools
import json

import pytest
from agents_helpers import CALLS, ScriptedCaller

from raafperf.agents.config import AgentConfig
from raafperf.agents.runner import REQUEST_ID_HEADER, AgentRunner
from raafperf.errors import ScenarioError
from raafperf.scenario.model import QueryItem

SEARCH = {
    "name": "search",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    "latency_ms": 5,
    "result": 'hits for "{query}" via {name}',
}
WEATHER = {
    "name": "weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "latency_ms": {"dist": "uniform", "min": 1, "max": 3},
}


def two_tool_agent(**extra) -> AgentConfig:
    fields = {
        "name": "helper",
        "model": "m1",
        "instructions": "Be brief.",
        "tools": [SEARCH, WEATHER],
        **extra,
    }
    return AgentConfig(**fields)


@pytest.mark.parametrize("stream", [True, False])
async def test_scripted_rounds_make_the_calls_in_order(stream: bool) -> None:
    caller = ScriptedCaller()
    agent = two_tool_agent(tool_rounds=3, tool_sequence=["weather", "search"])
    runner = AgentRunner(agent, caller, stream=stream)
    out = await runner.run(QueryItem(text="plan my trip"), request_id="r-1")

    assert out.ok and out.error_kind is None, out.error_detail
    assert out.turns == 4 and len(out.calls) == 4
    assert [t.name for t in out.tools] == ["weather", "search", "weather"]
    assert [t.turn for t in out.tools] == [1, 2, 3]
    assert out.text == "Final answer after 3 tool rounds." and out.model == "m1"
    # Every request carries the script, the id and the stream flag.
    for req in caller.requests:
        assert req.stream is stream and req.agent == "helper"
        assert req.headers[REQUEST_ID_HEADER] == "r-1"
        assert req.headers["x-sim-tool-rounds"] == "3"
        assert req.headers["x-sim-tools"] == "weather,search"
        assert [t["function"]["name"] for t in req.tools] == ["search", "weather"]
    # Model call, tool, model call, ... one after another, each with its own timing.
    events = []
    for i, call in enumerate(out.calls):
        events.append((call.start_ns, call.end_ns))
        if i < len(out.tools):
            events.append((out.tools[i].start_ns, out.tools[i].end_ns))
    for (s1, e1), (s2, e2) in itertools.pairwise(events):
        assert s1 <= e1 <= s2 <= e2
    assert out.start_ns <= out.calls[0].start_ns and out.calls[-1].end_ns <= out.end_ns
    assert out.tools[1].duration_ns >= 4_000_000  # search sleeps 5 ms
    assert out.model_ns > 0 and out.tool_ns >= sum(t.duration_ns for t in out.tools) * 0.99
    assert out.prompt_tokens > 0 and out.output_tokens == 4 * 8


async def test_messages_are_openai_shaped() -> None:
    caller = ScriptedCaller()
    runner = AgentRunner(
        two_tool_agent(tool_rounds=1, tool_sequence=["search"]), caller, stream=True
    )
    out = await runner.run("find docs", request_id="r-2")
    last = caller.requests[-1].messages
    assert [m["role"] for m in last] == ["system", "user", "assistant", "tool"]
    assistant, tool = last[2], last[3]
    call = assistant["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "search"
    assert tool["tool_call_id"] == call["id"] == out.tools[0].call_id
    query = json.loads(call["function"]["arguments"])["query"]
    assert tool["content"] == f'hits for "{query}" via search'
    # The first request's message list was not mutated by later turns.
    assert [m["role"] for m in caller.requests[0].messages] == ["system", "user"]


async def test_query_overrides_the_agent_script_and_context_merges() -> None:
    caller = ScriptedCaller()
    runner = AgentRunner(two_tool_agent(tool_rounds=3), caller, stream=True)
    query = QueryItem(text="q", tool_rounds=1, tools=["weather"], context={"user": "u2"})
    out = await runner.run(query, request_id="r-3", context={"user": "u1", "region": "eu"})
    assert out.ok and [t.name for t in out.tools] == ["weather"] and out.turns == 2
    assert caller.requests[0].headers["x-sim-tool-rounds"] == "1"
    assert caller.requests[0].context == {"user": "u2", "region": "eu"}


async def test_no_script_sends_no_sim_headers() -> None:
    caller = ScriptedCaller(default_rounds=0)
    out = await AgentRunner(two_tool_agent(), caller, stream=False).run("hi", request_id="r")
    assert out.ok and out.turns == 1 and out.tools == []
    assert set(caller.requests[0].headers) == {REQUEST_ID_HEADER}


async def test_turn_limit() -> None:
    caller = ScriptedCaller()
    runner = AgentRunner(two_tool_agent(max_turns=3), caller, stream=True)
    out = await runner.run(QueryItem(text="loop", tool_rounds=10), request_id="r-4")
    assert not out.ok and out.error_kind == "turn_limit"
    assert out.turns == 3 and len(out.calls) == 3 and len(out.tools) == 3


async def test_failed_model_call_ends_the_request_with_its_kind() -> None:
    caller = ScriptedCaller(fail_turn=2, error_kind="http_503")
    out = await AgentRunner(two_tool_agent(tool_rounds=2), caller, stream=True).run(
        "x", request_id="r-5"
    )
    assert not out.ok and out.error_kind == "http_503"
    assert out.turns == 2 and len(out.tools) == 1 and not out.calls[-1].ok


def _flaky_agent(**extra) -> AgentConfig:
    tool = {"name": "flaky", "failure_rate": 0.3, "error": "upstream 500"}
    return AgentConfig(name="f", model="m", tools=[tool], **extra)


async def test_tool_failure_rate_is_seeded_and_sent_back() -> None:
    async def failures(seed: int) -> list[bool]:
        caller = ScriptedCaller(latency_s=0)
        runner = AgentRunner(_flaky_agent(max_turns=50), caller, stream=False, seed=seed)
        out = await runner.run(QueryItem(text="x", tool_rounds=40), request_id="same")
        assert out.ok, "tool errors do not fail the request by default"
        assert all(
            t.error_kind == "tool_error" and t.error == "upstream 500"
            for t in out.tools
            if not t.ok
        )
        tool_msgs = [m for m in caller.requests[-1].messages if m["role"] == "tool"]
        assert sum(m["content"] == "Error: upstream 500" for m in tool_msgs) == out.tool_errors
        return [t.ok for t in out.tools]

    first = await failures(seed=1)
    assert first == await failures(seed=1)
    assert first != await failures(seed=2)
    assert 4 <= first.count(False) <= 24  # 30% of 40


async def test_tool_errors_can_fail_the_request() -> None:
    agent = _flaky_agent(tool_errors_fail_request=True, max_turns=50)
    caller = ScriptedCaller(latency_s=0)
    out = await AgentRunner(agent, caller, stream=True, seed=1).run(
        QueryItem(text="x", tool_rounds=40), request_id="same"
    )
    assert not out.ok and out.error_kind == "tool_error" and "upstream 500" in out.error_detail
    assert not out.tools[-1].ok and out.turns == len(out.tools) < 40


async def test_tools_of_one_turn_run_concurrently() -> None:
    slow = {"latency_ms": 80}
    tools = [{"name": "a", **slow}, {"name": "b", **slow}, {"name": "c", **slow}]
    for parallel in (True, False):
        agent = AgentConfig(name="p", model="m", tools=tools, parallel_tools=parallel)
        caller = ScriptedCaller(calls_per_turn=3)
        out = await AgentRunner(agent, caller, stream=True).run("x", request_id="r")
        assert out.ok and [t.name for t in out.tools] == ["a", "b", "c"]
        a, b, c = out.tools
        overlapped = b.start_ns < a.end_ns and c.start_ns < a.end_ns
        assert overlapped is parallel
        total = sum(t.duration_ns for t in out.tools)
        assert (out.tool_ns < total) is parallel
        tool_msgs = [m for m in caller.requests[-1].messages if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in tool_msgs] == [t.call_id for t in out.tools]


def _python_agent(tool: dict, **extra) -> AgentConfig:
    return AgentConfig(name="py", model="m", allow_python_tools=True, tools=[tool], **extra)


@pytest.mark.parametrize("in_thread", [True, False])
async def test_python_callable_tools(in_thread: bool) -> None:
    CALLS.clear()
    tools = [
        {
            "name": "lookup",
            "callable": "agents_helpers:lookup",
            "in_thread": in_thread,
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
        {
            "name": "fetch",
            "callable": "agents_helpers:fetch_async",
            "parameters": {"type": "object", "properties": {"url": {"type": "string"}}},
        },
    ]
    agent = AgentConfig(name="py", model="m", allow_python_tools=True, tools=tools)
    caller = ScriptedCaller()
    out = await AgentRunner(agent, caller, stream=True).run(
        QueryItem(text="x", tool_rounds=2), request_id="r"
    )
    assert out.ok and [t.ok for t in out.tools] == [True, True]
    assert len(CALLS) == 1 and isinstance(CALLS[0], dict) and "q" in CALLS[0]
    contents = [m["content"] for m in caller.requests[-1].messages if m["role"] == "tool"]
    assert json.loads(contents[0]) == {"found": CALLS[0]["q"], "rows": 3}
    assert contents[1].startswith("fetched url-")


async def test_python_tool_exception_and_timeout_are_tool_errors() -> None:
    tools = [
        {"name": "boom", "callable": "agents_helpers:explode"},
        {"name": "slow", "callable": "agents_helpers:slow", "timeout_s": 0.05},
    ]
    agent = AgentConfig(name="py", model="m", allow_python_tools=True, tools=tools)
    out = await AgentRunner(agent, ScriptedCaller(), stream=True).run(
        QueryItem(text="x", tool_rounds=2), request_id="r"
    )
    assert out.ok and out.tool_errors == 2
    assert out.tools[0].error == "RuntimeError: database is down"
    assert out.tools[1].error == "timed out after 0.05 s"
    assert out.tools[1].duration_ns < 2e9


async def test_python_tool_refused_or_unresolvable_at_build() -> None:
    tool = {"name": "t", "callable": "agents_helpers:lookup"}
    unchecked = AgentConfig.model_construct(
        name="a",
        model="m",
        tools=[_python_agent(tool).tools[0]],
        allow_python_tools=False,
        instructions="",
    )
    with pytest.raises(ScenarioError, match="allow_python_tools"):
        AgentRunner(unchecked, ScriptedCaller(), stream=True)
    for path, why in [
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        ("agents_helpers:missing", "has no attribute 'missing'"),
        ("agents_helpers:NOT_CALLABLE", "is not callable"),
    ]:
        with pytest.raises(ScenarioError, match=why):
            AgentRunner(
                _python_agent({"name": "t", "callable": path}), ScriptedCaller(), stream=True
            )


async def test_bad_arguments_and_unknown_tools_are_tool_errors() -> None:
    from raafperf.agents.tools import ToolBox

    box = ToolBox(two_tool_agent())
    bad = await box.run("search", "{not json", key=("r", 1, 0))
    assert not bad.ok and "not valid JSON" in (bad.error or "")
    assert not (await box.run("search", "[1]", key=("r", 1, 0))).ok
    unknown = await box.run("nope", "{}", key=("r", 1, 0))
    assert not unknown.ok and unknown.content == "Error: unknown tool 'nope'"
    ok = await box.run("search", "", key=("r", 1, 0))
    assert ok.ok and ok.content == 'hits for "{query}" via search'  # unknown field kept


class _Selector:
    def __init__(self) -> None:
        self.asked: list[tuple[str, int, int]] = []

    def choose(self, model: str, prompt: int, output: int) -> tuple[str, bool]:
        self.asked.append((model, prompt, output))
        return "m-small", True


async def test_budget_selector_picks_the_model_for_every_call() -> None:
    selector = _Selector()
    caller = ScriptedCaller()
    runner = AgentRunner(
        two_tool_agent(tool_rounds=2, max_tokens=100),
        caller,
        stream=True,
        selector=selector,
        token_counter=lambda msgs, model, tools: (50, True),
    )
    out = await runner.run("x", request_id="r")
    assert out.ok and out.model == "m-small" and out.downgraded
    assert {r.model for r in caller.requests} == {"m-small"}
    assert selector.asked == [("m1", 150, 300)]  # 3 calls expected


async def test_budget_exceeded_from_the_selector_is_an_outcome() -> None:
    from raafperf.errors import BudgetExceeded

    class Refuse:
        def choose(self, model: str, prompt: int, output: int) -> tuple[str, bool]:
            raise BudgetExceeded("no model fits $0.0001 per request")

    caller = ScriptedCaller()
    out = await AgentRunner(two_tool_agent(), caller, stream=True, selector=Refuse()).run(
        "x", request_id="r"
    )
    assert not out.ok and out.error_kind == "budget_exceeded" and out.calls == []
    assert caller.requests == []


async def test_a_raising_caller_is_counted_not_raised() -> None:
    class Broken:
        async def call(self, request):
            raise ValueError("bug")

    out = await AgentRunner(two_tool_agent(), Broken(), stream=True).run("x", request_id="r")
    assert not out.ok and out.error_kind == "internal_error" and "bug" in out.error_detail


async def test_reset_drops_the_last_conversation() -> None:
    runner = AgentRunner(two_tool_agent(tool_rounds=1), ScriptedCaller(), stream=True)
    await runner.run("x", request_id="r")
    assert len(runner.messages) == 4
    runner.reset()
    assert runner.messages == [] and runner.resets == 1


async def test_real_model_selector_downgrades_an_expensive_request() -> None:
    from raafperf.cost.budget import ModelSelector
    from raafperf.cost.config import BudgetConfig
    from raafperf.cost.prices import PriceTable

    budget = BudgetConfig(per_request_usd=0.001, candidates=["gpt-4o", "gpt-4o-mini"])
    selector = ModelSelector(PriceTable.load(), budget)
    agent = AgentConfig(name="a", model="gpt-4o")
    caller = ScriptedCaller(default_rounds=0)
    cheap = AgentRunner(
        agent.model_copy(update={"max_tokens": 16}), caller, stream=True, selector=selector
    )
    kept = await cheap.run("hello", request_id="r1")
    assert kept.ok and kept.model == "gpt-4o" and not kept.downgraded
    # 256 output tokens of gpt-4o cost about $0.0026: over the limit, so the runner downgrades.
    costly = AgentRunner(agent, caller, stream=True, selector=selector)
    out = await costly.run("hello", request_id="r2")
    assert out.ok and out.model == "gpt-4o-mini" and out.downgraded
    assert caller.requests[-1].model == "gpt-4o-mini"
