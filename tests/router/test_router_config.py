"""The router section's schema, failover.yaml, variants, and build_router's input checks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from router_testkit import FakeProvider, make_router, pconf

from raafperf.errors import ScenarioError
from raafperf.router import RouterConfig
from raafperf.router.errorclass import ErrorClass
from raafperf.scenario.model import Scenario

SCENARIO = Path(__file__).parents[2] / "scenarios" / "failover.yaml"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def test_defaults_make_a_complete_section() -> None:
    cfg = RouterConfig()
    assert cfg.strategy == "round_robin" and cfg.max_attempts == 3
    assert cfg.breaker.enabled and cfg.breaker.failure_rate == 0.5
    assert RouterConfig.model_validate({"strategy": "weighted"}).breaker == cfg.breaker


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"strategy": "fastest"}, "round_robin"),
        ({"breaker": {"treshold": 3}}, "Extra inputs are not permitted"),
        ({"max_attempts": 0}, "greater than or equal to 1"),
        ({"retry_on": ["5xx", "boom"]}, "unknown error class 'boom'"),
        ({"rate_limit": {"on_limit": "drop"}}, "'reroute' or 'wait'"),
        ({"providers": {"a": {"weight": 0}}}, "greater than 0"),
    ],
)
def test_bad_sections_say_what_is_wrong(data: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        RouterConfig.model_validate(data)


def test_error_classes_match_groups_and_kinds() -> None:
    cls = ErrorClass(["5xx", "timeouts", "http_429"])
    assert "http_503" in cls and "http_529" in cls and "timeout_read" in cls
    assert "http_429" in cls
    assert "http_400" not in cls and "stream_broken" not in cls and None not in cls
    assert "http_400" in ErrorClass(["4xx"]) and "stream_broken" in ErrorClass(["stream"])
    assert "stream_broken" not in ErrorClass(["stream"], never=["stream_broken"])


def test_an_override_for_an_unknown_provider_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"router.providers.nope: no provider named 'nope'"):
        make_router({"providers": {"nope": {"weight": 2}}}, [(pconf("a"), FakeProvider("a"))])


def test_failover_yaml_is_a_valid_scenario_with_valid_variants() -> None:
    raw = yaml.safe_load(SCENARIO.read_text())
    scenario = Scenario.model_validate(raw)
    assert scenario.router.strategy == "priority"
    assert scenario.router.breaker.enabled
    names = [p.name for p in scenario.providers]
    assert names == ["fast", "flaky", "slow"]
    assert len({tuple(p.models) for p in scenario.providers}) == 1  # one model, three providers
    outage = scenario.provider("fast").sim.faults[0]
    assert (outage.kind, outage.start_s, outage.end_s) == ("http_503", 3.5, 6.5)
    assert outage.endpoints is None  # health checks (GET /v1/models) fail too
    assert scenario.load.duration is not None and scenario.load.duration <= 12
    assert set(scenario.variants) >= {"least_latency", "weighted"}
    for name, override in scenario.variants.items():
        variant = Scenario.model_validate(deep_merge(raw, override))
        assert variant.router.strategy == override["router"]["strategy"], name
        assert variant.router.breaker == scenario.router.breaker
