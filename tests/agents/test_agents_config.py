from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from raafperf.agents.config import AgentConfig, ToolConfig
from raafperf.scenario.model import Scenario


def test_defaults_keep_old_scenarios_valid() -> None:
    agent = AgentConfig(name="a", model="m", tools=[ToolConfig(name="search")])
    assert agent.pool_size is None and agent.tool_rounds is None and agent.tool_sequence is None
    assert agent.allow_python_tools is False and agent.parallel_tools is True
    tool = agent.tools[0]
    assert tool.failure_rate == 0 and tool.callable is None and not tool.is_python


def test_python_tool_refused_without_opt_in() -> None:
    with pytest.raises(ValidationError, match="allow_python_tools: true"):
        AgentConfig(name="a", model="m", tools=[{"name": "t", "callable": "json:dumps"}])


@pytest.mark.parametrize(
    ("agent_flag", "tool_flag", "allowed"),
    [(True, None, True), (False, True, True), (True, False, False), (False, None, False)],
)
def test_opt_in_on_agent_or_tool(agent_flag: bool, tool_flag: bool | None, allowed: bool) -> None:
    tool = {"name": "t", "callable": "json:dumps", "allow_python_tools": tool_flag}
    if allowed:
        AgentConfig(name="a", model="m", allow_python_tools=agent_flag, tools=[tool])
    else:
        with pytest.raises(ValidationError, match="runs Python code"):
            AgentConfig(name="a", model="m", allow_python_tools=agent_flag, tools=[tool])


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ({"name": "t", "callable": "os.system('x')"}, "not an import path"),
        ({"name": "t", "callable": "json"}, "not an import path"),
        ({"name": "t", "callable": "json:dumps", "result": "x"}, "are for simulated tools"),
        ({"name": "t", "callable": "json:dumps", "latency_ms": 5}, "are for simulated tools"),
        ({"name": "bad name!"}, "string_pattern_mismatch|should match"),
        ({"name": "t", "failure_rate": 1.5}, "less than or equal to 1"),
    ],
)
def test_tool_validation(tool: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AgentConfig(name="a", model="m", allow_python_tools=True, tools=[tool])


def test_agent_validation() -> None:
    with pytest.raises(ValidationError, match="two tools named 'x'"):
        AgentConfig(name="a", model="m", tools=[{"name": "x"}, {"name": "x"}])
    with pytest.raises(ValidationError, match="tool_sequence names 'nope'"):
        AgentConfig(name="a", model="m", tools=[{"name": "x"}], tool_sequence=["x", "nope"])
    with pytest.raises(ValidationError, match="tool_rounds needs at least one tool"):
        AgentConfig(name="a", model="m", tool_rounds=2)
    with pytest.raises(ValidationError):
        AgentConfig(name="a", model="m", pool_size=0)


def test_latency_takes_a_distribution() -> None:
    tool = ToolConfig(name="t", latency_ms={"dist": "lognormal", "median": 20, "p99": 200})
    assert tool.latency_ms is not None and tool.latency_ms.dist == "lognormal"
    assert ToolConfig(name="t", latency_ms=7).latency_ms.value == 7


README_EXAMPLE = """\
name: agents-demo
providers:
  - name: sim
    kind: simulated
    models: [gpt-4o-mini]
agents:
  - name: support
    model: gpt-4o-mini
    instructions: You are a helpful customer support agent.
    max_turns: 6
    pool_size: 4
    tool_rounds: 2
    tool_sequence: [search_kb, lookup_order]
    tools:
      - name: search_kb
        description: Search the knowledge base
        parameters:
          type: object
          properties: {query: {type: string}}
        latency_ms: {dist: lognormal, median: 40, p99: 250}
        result: 'Top article for "{query}": reset your password from Settings.'
        failure_rate: 0.02
      - name: lookup_order
        parameters:
          type: object
          properties: {order_id: {type: string}}
        latency_ms: 15
        result: '{"order": "{order_id}", "status": "shipped"}'
  - name: analyst
    model: gpt-4o-mini
    allow_python_tools: true
    tools:
      - name: sql
        callable: "json:dumps"
        timeout_s: 2
queries:
  - agent: support
    texts:
      - Where is my order?
      - {text: "Reset my password", tool_rounds: 1, tools: [search_kb]}
  - agent: analyst
    texts: [Revenue by month]
load: {mode: closed, concurrency: 8, requests: 200}
"""


def test_readme_example_validates() -> None:
    scenario = Scenario.model_validate(yaml.safe_load(README_EXAMPLE))
    support = scenario.agent("support")
    assert support.pool_size == 4 and support.tool_sequence == ["search_kb", "lookup_order"]
    assert scenario.agent("analyst").python_allowed(scenario.agent("analyst").tools[0])


def test_scenario_refuses_python_tool_without_opt_in() -> None:
    text = README_EXAMPLE.replace("    allow_python_tools: true\n", "")
    with pytest.raises(ValidationError, match="tool 'sql': 'callable' runs Python code"):
        Scenario.model_validate(yaml.safe_load(text))


def test_loader_reports_the_refusal_with_file_and_line(tmp_path) -> None:
    from raafperf.errors import ScenarioError
    from raafperf.scenario.loader import load_scenario

    path = tmp_path / "agents.yaml"
    path.write_text(README_EXAMPLE.replace("    allow_python_tools: true\n", ""))
    with pytest.raises(ScenarioError, match=r"agents\.yaml:\d+: agents\[1\].*allow_python_tools"):
        load_scenario(path)
    path.write_text(README_EXAMPLE)
    assert load_scenario(path).scenario.agent("support").tool_rounds == 2
