"""What a variant cost: ``summary.json["variants"][v]["cost"]``, and the cost-report's numbers.

Costs are recomputed from each model call's token counts and the price table (so a report
can re-price a saved run with other prices), never read back from ``cost_usd``. A call with
``cache == "hit"`` cost nothing: its price is counted as cache savings instead. Calls to
unpriced models are listed and left out of the totals, which then say ``complete: false``.

Only requests of the measure phase count; warm-up spend is reported on its own. pandas is
imported inside the functions: this module runs at the end of a run or in a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raafperf.cost.prices import PriceTable

PER_TOKENS = 1_000_000


def estimate_error(estimated: int, reported: int) -> tuple[int, float | None]:
    """(estimated − reported, that difference relative to reported; None when reported is 0)."""
    diff = estimated - reported
    return diff, (diff / reported if reported else None)


def estimate_error_summary(calls: Any) -> dict[str, dict[str, float | int | None]]:
    """Per model: how far the local prompt-token estimate was from the provider's usage.

    Uses model calls with ``usage_reported`` and an estimate (``estimated_prompt_tokens`` >
    0). ``mean_abs``: mean |estimate − reported| in tokens; ``mean_rel``: mean of that over
    reported; ``mean_bias``: mean signed relative error (positive: the estimate ran high).
    """
    if calls is None or len(calls) == 0:
        return {}
    need = {"usage_reported", "estimated_prompt_tokens", "prompt_tokens", "name"}
    if not need.issubset(calls.columns):
        return {}
    rows = calls[
        calls["usage_reported"].astype(bool)
        & (calls["estimated_prompt_tokens"] > 0)
        & (calls["prompt_tokens"] > 0)
    ]
    if "cache" in rows.columns:
        rows = rows[rows["cache"] != "hit"]
    out: dict[str, dict[str, float | int | None]] = {}
    for model, g in rows.groupby("name", sort=True):
        est = g["estimated_prompt_tokens"].astype(float)
        rep = g["prompt_tokens"].astype(float)
        diff = est - rep
        out[str(model)] = {
            "calls": len(g),
            "mean_abs": float(diff.abs().mean()),
            "mean_rel": float((diff.abs() / rep).mean()),
            "mean_bias": float((diff / rep).mean()),
        }
    return out


def price_calls(
    calls: Any, table: PriceTable, multipliers: Mapping[str, float] | None = None
) -> Any:
    """The model calls with ``usd`` (what each would cost uncached; NaN when unpriced),
    ``billed_usd`` (0 for cache hits) and ``saved_usd`` (the cost a cache hit avoided)."""
    import numpy as np

    df = calls
    if "kind" in df.columns:
        df = df[df["kind"] == "model"]
    df = df.copy()
    for col in ("prompt_tokens", "output_tokens", "cached_tokens"):
        df[col] = df[col].fillna(0).astype("int64") if col in df.columns else 0
    for col, default in (("agent", ""), ("provider", ""), ("cache", "off")):
        if col not in df.columns:
            df[col] = default
    rates = {name: table.lookup(str(name)) for name in df["name"].unique()}
    inp = df["name"].map(lambda n: rates[n].input if rates[n] else np.nan).astype(float)
    cin = df["name"].map(lambda n: rates[n].cached_input if rates[n] else np.nan).astype(float)
    out = df["name"].map(lambda n: rates[n].output if rates[n] else np.nan).astype(float)
    mult = df["provider"].map(lambda p: (multipliers or {}).get(p, 1.0)).astype(float)
    cached = np.minimum(df["cached_tokens"].clip(lower=0), df["prompt_tokens"])
    usd = (
        ((df["prompt_tokens"] - cached) * inp + cached * cin + df["output_tokens"] * out)
        * mult
        / PER_TOKENS
    )
    hit = df["cache"] == "hit"
    df["usd"] = usd
    df["billed_usd"] = usd.where(~hit, 0.0)
    df["saved_usd"] = usd.where(hit, 0.0)
    df["priced"] = ~np.isnan(usd)
    df["cache_hit"] = hit
    return df


def summarize_costs(
    calls_df: Any,
    requests_df: Any,
    table: PriceTable,
    multipliers: Mapping[str, float] | None = None,
    *,
    variant: str | None = None,
    agent_models: Mapping[str, str] | None = None,
    per_request_usd: float | None = None,
) -> dict[str, Any]:
    """The cost section of one variant (JSON-ready: no NaN, plain Python numbers).

    ``multipliers``: provider name → ``price_multiplier``. ``agent_models``: agent name →
    the model it asks for, so that downgraded requests can be priced as if not downgraded.
    ``per_request_usd``: count the requests whose cost went over it.
    """
    calls, requests = calls_df, requests_df
    if variant is None and "variant" in requests.columns and requests["variant"].nunique() > 1:
        raise ValueError("these frames hold several variants: pass variant=")
    if variant is not None:
        calls = calls[calls["variant"] == variant]
        requests = requests[requests["variant"] == variant]
    measured = requests
    if "phase" in requests.columns:
        measured = requests[requests["phase"] != "warmup"]
    measured_idx = set(measured["idx"].tolist())
    priced = price_calls(calls, table, multipliers)
    in_measure = priced["request_idx"].isin(measured_idx)
    warmup = priced[~in_measure]
    m = priced[in_measure]
    n_requests = len(measured)

    unpriced = sorted({str(n) for n in m.loc[~m["priced"], "name"].unique()})
    billed = float(m.loc[m["priced"], "billed_usd"].sum())
    has_priced = bool(m["priced"].any()) or len(m) == 0

    per_request = _per_request(m, measured["idx"], n_requests)
    total = billed if has_priced else None
    return {
        "currency": "USD",
        "prices_checked": table.checked,
        "price_files": table.files,
        "requests": n_requests,
        "model_calls": len(m),
        "tokens": {
            "prompt": int(m["prompt_tokens"].sum()),
            "cached": int(m["cached_tokens"].sum()),
            "output": int(m["output_tokens"].sum()),
        },
        "total_usd": total,
        "complete": not unpriced,
        "per_request_usd": per_request,
        "per_1k_requests_usd": (total / n_requests * 1000)
        if total is not None and n_requests
        else None,
        "by_agent_model": _by_agent_model(m, n_requests),
        "by_provider": _by_provider(m),
        "unpriced_models": unpriced,
        "cache_savings": _cache_savings(m),
        "downgrades": _downgrade_savings(m, measured, table, multipliers, agent_models),
        "warmup_usd": float(warmup.loc[warmup["priced"], "billed_usd"].sum()),
        "token_estimate_error": estimate_error_summary(m),
        "over_request_budget": _over_budget(m, per_request_usd),
    }


def _per_request(m: Any, idx: Any, n: int) -> dict[str, float | None]:
    from raafperf.analysis.stats import nearest_rank

    if n == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    # A request with any unpriced call has no known cost: it is left out of the spread.
    complete = m.groupby("request_idx")["priced"].all()
    incomplete = set(complete[~complete].index)
    costs = m.groupby("request_idx")["billed_usd"].sum()
    costs = costs.reindex(idx.tolist()).fillna(0.0)  # requests without model calls cost 0
    costs = costs[~costs.index.isin(incomplete)]
    if costs.empty:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {
        "mean": float(costs.mean()),
        "p50": nearest_rank(costs.to_numpy(), 50),
        "p95": nearest_rank(costs.to_numpy(), 95),
        "max": float(costs.max()),
    }


def _by_agent_model(m: Any, n_requests: int) -> list[dict[str, Any]]:
    rows = []
    for (agent, model), g in m.groupby(["agent", "name"], sort=True):
        priced = bool(g["priced"].all())
        cost = float(g["billed_usd"].sum()) if priced else None
        rows.append(
            {
                "agent": str(agent),
                "model": str(model),
                "calls": len(g),
                "requests": int(g["request_idx"].nunique()),
                "prompt_tokens": int(g["prompt_tokens"].sum()),
                "cached_tokens": int(g["cached_tokens"].sum()),
                "output_tokens": int(g["output_tokens"].sum()),
                "cache_hits": int(g["cache_hit"].sum()),
                "cost_usd": cost,
                "usd_per_call": cost / len(g) if cost is not None else None,
                "usd_per_1k_requests": cost / n_requests * 1000
                if cost is not None and n_requests
                else None,
                "saved_by_cache_usd": float(g["saved_usd"].sum()) if priced else None,
            }
        )
    return rows


def _by_provider(m: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for provider, g in m.groupby("provider", sort=True):
        out[str(provider)] = {
            "calls": len(g),
            "cost_usd": float(g.loc[g["priced"], "billed_usd"].sum()),
            "unpriced_calls": int((~g["priced"]).sum()),
        }
    return out


def _cache_savings(m: Any) -> dict[str, Any]:
    hits = m[m["cache_hit"]]
    return {
        "hits": len(hits),
        "prompt_tokens": int(hits["prompt_tokens"].sum()),
        "output_tokens": int(hits["output_tokens"].sum()),
        "usd": float(hits.loc[hits["priced"], "saved_usd"].sum()),
        "unpriced_hits": int((~hits["priced"]).sum()),
    }


def _downgrade_savings(
    m: Any,
    measured: Any,
    table: PriceTable,
    multipliers: Mapping[str, float] | None,
    agent_models: Mapping[str, str] | None,
) -> dict[str, Any]:
    """What downgraded requests would have cost on the model their agent asked for."""
    if "downgraded" not in measured.columns:
        return {"requests": 0, "saved_usd": None}
    down = set(measured.loc[measured["downgraded"].astype(bool), "idx"].tolist())
    if not down:
        return {"requests": 0, "saved_usd": 0.0}
    if not agent_models:
        return {"requests": len(down), "saved_usd": None}
    saved = 0.0
    calls = m[m["request_idx"].isin(down) & ~m["cache_hit"]]
    for row in calls.itertuples(index=False):
        wanted = agent_models.get(row.agent)
        if wanted is None or row.name == wanted:
            continue
        mult = (multipliers or {}).get(row.provider, 1.0)
        would = table.cost(wanted, row.prompt_tokens, row.output_tokens, row.cached_tokens, mult)
        if would is None or not row.priced:
            return {"requests": len(down), "saved_usd": None}
        saved += would - row.usd
    return {"requests": len(down), "saved_usd": saved}


def _over_budget(m: Any, per_request_usd: float | None) -> int | None:
    if per_request_usd is None:
        return None
    costs = m.loc[m["priced"]].groupby("request_idx")["billed_usd"].sum()
    return int((costs > per_request_usd).sum())
