"""The rows a run contributes to the history: pure functions over a summary.json dict.

Every lookup is defensive: a summary written by an older raafperf, an interrupted run or an
area whose section failed simply leaves a metric empty (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

METRIC_COLUMNS: tuple[str, ...] = (
    "ttft_p50_ms",
    "ttft_p95_ms",
    "ttft_p99_ms",
    "e2e_p50_ms",
    "e2e_p95_ms",
    "e2e_p99_ms",
    "requests_per_s",
    "error_rate",
    "cost_per_request_usd",
)
"""Numeric metrics kept per run and variant (error_rate is a fraction, 0.01 = 1%)."""


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    scenario: str
    scenario_path: str | None
    scenario_sha256: str | None
    profile: str | None
    started_at: str | None
    finished_at: str | None
    interrupted: bool
    hostname: str | None
    cpu_model: str | None
    cpu_count: int | None
    git_commit: str | None
    raafperf_version: str | None


@dataclass(frozen=True, slots=True)
class VariantRow:
    variant: str
    measured: int | None
    ok: int | None
    errors: int | None
    thresholds_passed: bool | None
    """None when the variant has no thresholds."""
    metrics: dict[str, float | None]


def rows_of(summary: dict[str, Any], fallback_id: str = "") -> tuple[RunRow, list[VariantRow]]:
    """The run's row and one row per variant."""
    scenario = _dict(summary.get("scenario"))
    machine = _dict(summary.get("machine"))
    run = RunRow(
        run_id=str(summary.get("run_id") or fallback_id),
        scenario=str(scenario.get("name") or "?"),
        scenario_path=_str(scenario.get("path")),
        scenario_sha256=_str(scenario.get("sha256")),
        profile=_str(scenario.get("profile")),
        started_at=_str(summary.get("started_at")),
        finished_at=_str(summary.get("finished_at")),
        interrupted=bool(summary.get("interrupted")),
        hostname=_str(machine.get("hostname")),
        cpu_model=_str(machine.get("cpu_model")),
        cpu_count=_int(machine.get("cpu_count")),
        git_commit=_str(machine.get("git_commit")),
        raafperf_version=_str(summary.get("raafperf_version")),
    )
    variants = [_variant_row(name, _dict(v)) for name, v in _dict(summary.get("variants")).items()]
    return run, variants


def _variant_row(name: str, v: dict[str, Any]) -> VariantRow:
    latency = _dict(v.get("latency_ms"))
    ttft, e2e = _dict(latency.get("ttft")), _dict(latency.get("e2e"))
    requests = _dict(v.get("requests"))
    thresholds = v.get("thresholds") or []
    verdicts = [t.get("passed") for t in thresholds if isinstance(t, dict)]
    passed: bool | None = None
    if any(p is False for p in verdicts):
        passed = False
    elif any(p is True for p in verdicts):
        passed = True
    metrics = {
        "ttft_p50_ms": _num(ttft.get("p50")),
        "ttft_p95_ms": _num(ttft.get("p95")),
        "ttft_p99_ms": _num(ttft.get("p99")),
        "e2e_p50_ms": _num(e2e.get("p50")),
        "e2e_p95_ms": _num(e2e.get("p95")),
        "e2e_p99_ms": _num(e2e.get("p99")),
        "requests_per_s": _num(_dict(v.get("throughput")).get("requests_per_s")),
        "error_rate": _error_rate(v, requests),
        "cost_per_request_usd": cost_per_request(v),
    }
    return VariantRow(
        variant=name,
        measured=_int(requests.get("measured")),
        ok=_int(requests.get("ok")),
        errors=_int(requests.get("errors")),
        thresholds_passed=passed,
        metrics=metrics,
    )


def cost_per_request(v: dict[str, Any]) -> float | None:
    """Mean USD per measured request; None when unpriced or not reported."""
    cost = _dict(v.get("cost"))
    if not cost or "error" in cost:
        return None
    mean = _num(_dict(cost.get("per_request_usd")).get("mean"))
    if mean is not None:
        return mean
    total, n = _num(cost.get("total_usd")), _int(cost.get("requests"))
    if total is not None and n:
        return total / n
    return None


def _error_rate(v: dict[str, Any], requests: dict[str, Any]) -> float | None:
    rate = _num(_dict(v.get("errors")).get("rate"))
    if rate is not None:
        return rate
    measured, errors = _int(requests.get("measured")), _int(requests.get("errors"))
    return errors / measured if measured and errors is not None else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None
