"""The metrics ``compare`` judges and the thresholds that gate them.

A threshold reads ``NAME:VALUE``: ``p95_ttft:10%`` (a relative change of the statistic),
``error_rate:+0.5pp`` (a difference in percentage points). NAME is a metric
(``p95_ttft``, ``p99_e2e_ms``, ``throughput``, ``cost_per_request``...) or a family that sets
several at once (``ttft``, ``e2e``, ``itl``, ``latency``). Pure; no heavy imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from raafperf.errors import UsageError

Kind = Literal["quantile", "mean", "throughput", "proportion"]
ChangeKind = Literal["relative", "pp"]
Source = Literal["default", "scenario", "cli"]


@dataclass(frozen=True)
class MetricSpec:
    """One judged metric: where its samples come from and which direction is worse."""

    name: str
    label: str
    unit: str
    kind: Kind
    family: str
    q: float | None = None
    higher_is_worse: bool = True

    @property
    def change_kind(self) -> ChangeKind:
        return "pp" if self.kind == "proportion" else "relative"


def _latency(family: str, label: str) -> list[MetricSpec]:
    return [
        MetricSpec(f"p{p}_{family}", f"{label} p{p}", "ms", "quantile", family, q=p / 100)
        for p in (50, 95, 99)
    ]


METRICS: tuple[MetricSpec, ...] = (
    *_latency("ttft", "TTFT"),
    *_latency("e2e", "E2E"),
    *_latency("itl", "ITL"),
    MetricSpec(
        "throughput", "Throughput", "req/s", "throughput", "throughput", higher_is_worse=False
    ),
    MetricSpec("error_rate", "Error rate", "%", "proportion", "error_rate"),
    MetricSpec("cost_per_request", "Cost per request", "USD", "mean", "cost"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}
FAMILIES: dict[str, tuple[str, ...]] = {
    "ttft": tuple(m.name for m in METRICS if m.family == "ttft"),
    "e2e": tuple(m.name for m in METRICS if m.family == "e2e"),
    "itl": tuple(m.name for m in METRICS if m.family == "itl"),
    "latency": tuple(m.name for m in METRICS if m.unit == "ms"),
}
_ALIASES = {"throughput_rps": "throughput", "cost_per_request_usd": "cost_per_request"}


@dataclass(frozen=True)
class Threshold:
    """How large a change in the worse direction counts as a regression.

    ``value`` is a fraction for relative thresholds (0.10 for 10%) and percentage points for
    ``pp`` thresholds (0.5 for +0.5pp).
    """

    metric: str
    kind: ChangeKind
    value: float
    source: Source = "cli"

    def __str__(self) -> str:
        if self.kind == "pp":
            return f"+{_num(self.value)}pp"
        return f"{_num(self.value * 100)}%"


DEFAULT_THRESHOLDS: dict[str, str] = {
    "latency": "10%",
    "throughput": "10%",
    "error_rate": "+1pp",
    "cost_per_request": "5%",
}

_VALUE = re.compile(r"^\s*\+?\s*(\d+(?:\.\d*)?|\.\d+)\s*(%|pp)\s*$")


def _num(value: float) -> str:
    return f"{value:.6g}"


def canonical_name(name: str) -> str:
    """A metric or family name as compare knows it (``p95_ttft_ms`` -> ``p95_ttft``)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key.endswith("_ms") and key[:-3] in METRIC_BY_NAME:
        key = key[:-3]
    if key in METRIC_BY_NAME or key in FAMILIES:
        return key
    known = ", ".join([*METRIC_BY_NAME, *FAMILIES])
    raise UsageError(f"unknown metric {name!r} in a threshold (known: {known})")


def parse_threshold(text: str, *, source: Source = "cli") -> Threshold:
    """``"p95_ttft:10%"`` -> Threshold(metric="p95_ttft", kind="relative", value=0.10)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(
            f"threshold {text!r}: write NAME:VALUE, e.g. p95_ttft:10% or error_rate:+0.5pp"
        )
    return make_threshold(name, value, source=source)


def make_threshold(name: str, value: str, *, source: Source = "cli") -> Threshold:
    metric = canonical_name(name)
    m = _VALUE.match(str(value))
    if not m:
        raise UsageError(f"threshold {name}:{value}: the value must look like 10% or +0.5pp")
    amount, unit = float(m.group(1)), m.group(2)
    wants_pp = metric == "error_rate"
    if wants_pp and unit != "pp":
        raise UsageError(
            f"threshold {name}:{value}: the error rate changes in percentage "
            "points, e.g. error_rate:+0.5pp"
        )
    if not wants_pp and unit != "%":
        raise UsageError(
            f"threshold {name}:{value}: {metric} takes a relative change, e.g. {metric}:10%"
        )
    if amount <= 0 or (unit == "%" and amount >= 1000):
        raise UsageError(f"threshold {name}:{value}: must be above 0 (and below 1000%)")
    if unit == "pp" and amount > 100:
        raise UsageError(f"threshold {name}:{value}: at most 100pp")
    kind: ChangeKind = "pp" if unit == "pp" else "relative"
    return Threshold(metric, kind, amount if kind == "pp" else amount / 100, source)


def validate_gate(gate: Mapping[str, str]) -> None:
    """Raise ValueError on a bad scenario ``gate`` entry (for a pydantic validator)."""
    for name, value in gate.items():
        try:
            make_threshold(name, value, source="scenario")
        except UsageError as exc:
            raise ValueError(str(exc)) from None


def resolve_thresholds(
    cli: Iterable[str | Threshold] = (),
    scenario_gate: Mapping[str, str] | None = None,
) -> dict[str, Threshold]:
    """One threshold per metric: defaults, then the scenario's gate, then the command line.

    Within each source a family sets its members first and a named metric then wins.
    """
    out: dict[str, Threshold] = {}
    try:
        gate = [make_threshold(k, v, source="scenario") for k, v in (scenario_gate or {}).items()]
    except UsageError as exc:
        raise UsageError(f"the scenario's gate: {exc}") from None
    layers: list[list[Threshold]] = [
        [make_threshold(k, v, source="default") for k, v in DEFAULT_THRESHOLDS.items()],
        gate,
        [t if isinstance(t, Threshold) else parse_threshold(t) for t in cli],
    ]
    for layer in layers:
        families = [t for t in layer if t.metric in FAMILIES]
        singles = [t for t in layer if t.metric not in FAMILIES]
        for t in families:
            for member in FAMILIES[t.metric]:
                out[member] = Threshold(member, t.kind, t.value, t.source)
        for t in singles:
            out[t.metric] = t
    return out
