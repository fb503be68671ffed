"""Threshold syntax, names, families and which source wins."""

from __future__ import annotations

import pytest

from raafperf.analysis.thresholds import (
    METRIC_BY_NAME,
    Threshold,
    parse_threshold,
    resolve_thresholds,
    validate_gate,
)
from raafperf.errors import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95_ttft:10%", Threshold("p95_ttft", "relative", 0.10)),
        ("p99_e2e_ms:+2.5%", Threshold("p99_e2e", "relative", 0.025)),
        ("error_rate:+0.5pp", Threshold("error_rate", "pp", 0.5)),
        ("error_rate:1pp", Threshold("error_rate", "pp", 1.0)),
        ("cost_per_request:5%", Threshold("cost_per_request", "relative", 0.05)),
        ("throughput_rps:15 %", Threshold("throughput", "relative", 0.15)),
        ("LATENCY:20%", Threshold("latency", "relative", 0.20)),
    ],
)
def test_parse_threshold(text: str, expected: Threshold) -> None:
    got = parse_threshold(text)
    assert (got.metric, got.kind) == (expected.metric, expected.kind)
    assert got.value == pytest.approx(expected.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("p95_ttft", "NAME:VALUE"),
        ("p95_ttft:", "NAME:VALUE"),
        ("p97_ttft:10%", "unknown metric"),
        ("p95_ttft:10", "10% or +0.5pp"),
        ("p95_ttft:-10%", "10% or +0.5pp"),
        ("p95_ttft:0%", "above 0"),
        ("p95_ttft:0.5pp", "relative change"),
        ("error_rate:10%", "percentage points"),
        ("error_rate:150pp", "at most 100pp"),
    ],
)
def test_bad_thresholds_say_why(text: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle.replace("+", r"\+")):
        parse_threshold(text)


def test_threshold_prints_as_written() -> None:
    assert str(parse_threshold("p95_ttft:10%")) == "10%"
    assert str(parse_threshold("error_rate:+0.5pp")) == "+0.5pp"


def test_defaults_cover_every_metric() -> None:
    limits = resolve_thresholds()
    assert set(limits) == set(METRIC_BY_NAME)
    assert limits["p95_ttft"].value == pytest.approx(0.10)
    assert limits["error_rate"].kind == "pp"
    assert limits["cost_per_request"].value == pytest.approx(0.05)
    assert {t.source for t in limits.values()} == {"default"}


def test_scenario_gate_beats_defaults_and_cli_beats_both() -> None:
    limits = resolve_thresholds(
        ["latency:30%", "p95_ttft:7%"], {"ttft": "20%", "p50_ttft": "4%", "error_rate": "+2pp"}
    )
    assert limits["p95_ttft"].value == pytest.approx(0.07)  # named CLI metric wins
    assert limits["p50_ttft"].value == pytest.approx(0.30)  # CLI family beats the gate
    assert limits["p50_ttft"].source == "cli"
    assert limits["error_rate"].value == pytest.approx(2.0)
    assert limits["error_rate"].source == "scenario"
    assert limits["throughput"].source == "default"


def test_named_metric_beats_family_whatever_the_order() -> None:
    limits = resolve_thresholds(["p95_e2e:3%", "e2e:12%"])
    assert limits["p95_e2e"].value == pytest.approx(0.03)
    assert limits["p50_e2e"].value == pytest.approx(0.12)


def test_bad_scenario_gate_is_named() -> None:
    with pytest.raises(UsageError, match="scenario's gate"):
        resolve_thresholds([], {"p95_ttft": "ten"})
    with pytest.raises(ValueError, match="unknown metric"):
        validate_gate({"p95_tfft": "10%"})
    validate_gate({"p95_ttft": "10%", "error_rate": "+0.5pp"})
