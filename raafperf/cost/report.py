"""The numbers behind ``raafperf cost-report``: saved runs re-priced, projected and compared.

Each run is priced with the shipped table, then the price file its scenario named (when it
can still be found), then ``--prices``. Projections scale the mean cost per request to a
request rate: ``--rate`` (requests/s), ``--per-day`` or, by default, the variant's own
measured throughput. Runs are compared per 1,000 requests, so runs of different lengths
compare fairly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.cost.prices import PriceTable
from raafperf.cost.summary import summarize_costs
from raafperf.errors import UsageError

SECONDS_PER_DAY = 86_400
DAYS_PER_MONTH = 30


@dataclass
class VariantCost:
    run: str
    path: str
    variant: str
    cost: dict[str, Any]
    rate_rps: float | None
    rate_source: str
    projection: dict[str, float | None]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "path": self.path,
            "variant": self.variant,
            "rate_rps": self.rate_rps,
            "rate_source": self.rate_source,
            "projection": self.projection,
            "cost": self.cost,
            "notes": self.notes,
        }


def projection(per_1k_usd: float | None, rate_rps: float | None) -> dict[str, float | None]:
    """Requests, USD per day and per 30-day month at ``rate_rps``."""
    if rate_rps is None:
        return {"requests_per_day": None, "per_day_usd": None, "per_month_usd": None}
    per_day_requests = rate_rps * SECONDS_PER_DAY
    if per_1k_usd is None:
        return {"requests_per_day": per_day_requests, "per_day_usd": None, "per_month_usd": None}
    per_day = per_1k_usd / 1000 * per_day_requests
    return {
        "requests_per_day": per_day_requests,
        "per_day_usd": per_day,
        "per_month_usd": per_day * DAYS_PER_MONTH,
    }


def run_costs(
    path: str | Path,
    *,
    prices: Path | None = None,
    variant: str | None = None,
    rate: float | None = None,
    per_day: float | None = None,
) -> list[VariantCost]:
    """Every variant of one saved run (or only ``variant``), priced and projected."""
    from raafperf.record.store import load_run

    if rate is not None and per_day is not None:
        raise UsageError("give --rate or --per-day, not both")
    run = load_run(path)
    summary = run.summary
    scenario = summary.get("scenario") or {}
    config = scenario.get("config") or {}
    notes: list[str] = []
    overrides: list[Path] = []
    if config.get("prices"):
        scenario_prices = Path(str(config["prices"]))
        if not scenario_prices.is_absolute() and scenario.get("path"):
            scenario_prices = Path(scenario["path"]).parent / scenario_prices
        if scenario_prices.is_file():
            overrides.append(scenario_prices)
        else:
            notes.append(
                f"the scenario's price file {scenario_prices} is gone; shipped prices used"
            )
    if prices is not None:
        overrides.append(prices)
    table = PriceTable.load(overrides)
    multipliers = {
        str(p.get("name")): float(p.get("price_multiplier", 1.0))
        for p in config.get("providers") or []
    }
    agent_models = {str(a.get("name")): str(a.get("model")) for a in config.get("agents") or []}
    per_request_usd = (config.get("budget") or {}).get("per_request_usd")

    variants = list((summary.get("variants") or {}).keys())
    requests, calls = run.requests(), run.calls()
    if not variants and "variant" in requests.columns:
        variants = sorted(str(v) for v in requests["variant"].unique())
    if variant is not None:
        if variant not in variants:
            raise UsageError(f"{run.path}: no variant {variant!r} (it has: {', '.join(variants)})")
        variants = [variant]

    out = []
    for name in variants:
        cost = summarize_costs(
            calls,
            requests,
            table,
            multipliers,
            variant=name,
            agent_models=agent_models,
            per_request_usd=per_request_usd,
        )
        rps, source = _rate(summary, name, cost["requests"], rate, per_day)
        out.append(
            VariantCost(
                run=run.run_id,
                path=str(run.path),
                variant=name,
                cost=cost,
                rate_rps=rps,
                rate_source=source,
                projection=projection(cost["per_1k_requests_usd"], rps),
                notes=list(notes),
            )
        )
    return out


def _rate(
    summary: dict[str, Any],
    variant: str,
    measured: int,
    rate: float | None,
    per_day: float | None,
) -> tuple[float | None, str]:
    if rate is not None:
        return rate, "--rate"
    if per_day is not None:
        return per_day / SECONDS_PER_DAY, "--per-day"
    v = (summary.get("variants") or {}).get(variant) or {}
    rps = (v.get("throughput") or {}).get("requests_per_s")
    if rps:
        return float(rps), "measured"
    duration = v.get("duration_s")
    if duration and measured:
        return measured / float(duration), "measured"
    return None, "unknown"


def compare(base: VariantCost, other: VariantCost) -> dict[str, Any]:
    """``other`` against ``base``, per 1,000 requests: per agent × model and in total."""

    def per_1k(vc: VariantCost) -> dict[tuple[str, str], float | None]:
        return {
            (r["agent"], r["model"]): r["usd_per_1k_requests"] for r in vc.cost["by_agent_model"]
        }

    a, b = per_1k(base), per_1k(other)
    rows = []
    for key in sorted(set(a) | set(b)):
        # A model one run did not call cost that run nothing.
        rows.append({"agent": key[0], "model": key[1], **_diff(a.get(key, 0.0), b.get(key, 0.0))})
    return {
        "base": {"run": base.run, "variant": base.variant},
        "other": {"run": other.run, "variant": other.variant},
        "unit": "USD per 1,000 requests",
        "rows": rows,
        "total": _diff(base.cost["per_1k_requests_usd"], other.cost["per_1k_requests_usd"]),
        "total_usd": _diff(base.cost["total_usd"], other.cost["total_usd"]),
    }


def _diff(a: float | None, b: float | None) -> dict[str, float | None]:
    if a is None or b is None:
        return {"base": a, "other": b, "diff": None, "pct": None}
    return {"base": a, "other": b, "diff": b - a, "pct": (b - a) / a * 100 if a else None}


def build_report(
    paths: Sequence[str | Path],
    *,
    prices: Path | None = None,
    variant: str | None = None,
    rate: float | None = None,
    per_day: float | None = None,
) -> dict[str, Any]:
    """All runs priced, and each later run compared with the first, variant by variant."""
    if not paths:
        raise UsageError("cost-report needs at least one run folder")
    if rate is not None and rate <= 0:
        raise UsageError("--rate must be above 0 requests per second")
    if per_day is not None and per_day <= 0:
        raise UsageError("--per-day must be above 0")
    runs = [run_costs(p, prices=prices, variant=variant, rate=rate, per_day=per_day) for p in paths]
    comparisons = []
    for later in runs[1:]:
        by_variant = {vc.variant: vc for vc in later}
        for base in runs[0]:
            if base.variant in by_variant:
                comparisons.append(compare(base, by_variant[base.variant]))
    return {
        "runs": [vc.to_dict() for run in runs for vc in run],
        "comparisons": comparisons,
    }
