"""A single run's report: per-variant figures and plot series, computed from its samples.

Renderers (JSON, Markdown, JUnit, HTML) read only this. Latency percentiles are nearest-rank
over the measured requests that succeeded, as in summary.json.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from raafperf.analysis.compare import RunInfo
from raafperf.analysis.samples import RunLike, open_run, variant_names, variant_samples
from raafperf.analysis.series import cdf_points, histogram, shared_range, time_series
from raafperf.analysis.stats import describe


@dataclass(frozen=True)
class VariantReport:
    name: str
    measured: int
    ok: int
    errors: int
    error_rate_pct: float | None
    errors_by_kind: dict[str, int]
    duration_s: float
    throughput_rps: float | None
    ttft_ms: dict[str, Any]
    e2e_ms: dict[str, Any]
    itl_ms: dict[str, Any]
    cost_per_request_usd: float | None
    cost_total_usd: float | None
    thresholds: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RunReport:
    info: RunInfo
    variants: tuple[VariantReport, ...]
    plots: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def failed_thresholds(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (v.name, t) for v in self.variants for t in v.thresholds if t.get("passed") is False
        ]

    def to_dict(self, *, plots: bool = False) -> dict[str, Any]:
        out = asdict(self)
        if not plots:
            out.pop("plots", None)
        return _finite(out)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def build_run_report(source: RunLike | str, *, plots: bool = True) -> RunReport:
    run = open_run(source)
    names = variant_names(run)
    samples = {name: variant_samples(run, name) for name in names}
    summary_variants = run.summary.get("variants") or {}
    reports = []
    for name, s in samples.items():
        cost = s.cost_usd
        reports.append(
            VariantReport(
                name=name,
                measured=s.measured,
                ok=s.ok,
                errors=s.errors,
                error_rate_pct=100 * s.errors / s.measured if s.measured else None,
                errors_by_kind=s.errors_by_kind,
                duration_s=s.window_s,
                throughput_rps=s.ok / s.window_s if s.window_s > 0 else None,
                ttft_ms=describe(s.ttft_ms),
                e2e_ms=describe(s.e2e_ms),
                itl_ms=describe(s.itl.values),
                cost_per_request_usd=float(cost.mean()) if cost.size else None,
                cost_total_usd=float(cost.sum()) if cost.size else None,
                thresholds=list((summary_variants.get(name) or {}).get("thresholds") or []),
            )
        )
    plot_data = _plots(run, samples, reports) if plots else {}
    return RunReport(RunInfo.of(run), tuple(reports), plot_data)


def _plots(run: RunLike, samples: dict[str, Any], reports: list[VariantReport]) -> dict:
    latency: dict[str, Any] = {}
    for family in ("ttft", "e2e"):
        values = {name: getattr(s, f"{family}_ms") for name, s in samples.items()}
        lo, hi = shared_range(*values.values())
        latency[family] = {
            name: {"hist": histogram(v, lo, hi), "cdf": cdf_points(v)} for name, v in values.items()
        }
    return {
        "latency": latency,
        "time": {name: time_series(s) for name, s in samples.items()},
        "cost": cost_by_agent_model(run),
        "variants": {
            r.name: {
                "ttft": {p: r.ttft_ms.get(p) for p in ("p50", "p95", "p99")},
                "e2e": {p: r.e2e_ms.get(p) for p in ("p50", "p95", "p99")},
                "throughput_rps": r.throughput_rps,
                "cost_per_request_usd": r.cost_per_request_usd,
            }
            for r in reports
        },
    }


def cost_by_agent_model(run: RunLike) -> list[dict[str, Any]]:
    """Dollars and calls per variant × agent × model over measured requests' model calls."""
    req = run.requests()
    calls = run.calls()
    if calls is None or calls.empty or "cost_usd" not in calls.columns:
        return []
    measured = req[req["phase"].astype(str) != "warmup"][["variant", "idx"]].astype(
        {"variant": str}
    )
    model = calls[calls["kind"].astype(str) == "model"].astype(
        {"variant": str, "agent": str, "name": str}
    )
    model = model.merge(
        measured, left_on=["variant", "request_idx"], right_on=["variant", "idx"], how="inner"
    )
    if model.empty:
        return []
    grouped = model.groupby(["variant", "agent", "name"], sort=True).agg(
        calls=("cost_usd", "size"),
        cost_usd=("cost_usd", "sum"),
        unpriced=("cost_usd", lambda s: int(s.isna().sum())),
    )
    return [
        {
            "variant": v,
            "agent": a,
            "model": m,
            "calls": int(row.calls),
            "cost_usd": float(row.cost_usd),
            "unpriced_calls": int(row.unpriced),
        }
        for (v, a, m), row in grouped.iterrows()
    ]
