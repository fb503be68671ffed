"""A variant's figures from its samples: latency statistics, throughput, errors, goodput.

Imported lazily (pandas/numpy); the engine calls it once per variant at the end of a run.
"""

from __future__ import annotations

from typing import Any

from raafperf.analysis.stats import describe


def summarize_variant(
    requests: Any,
    calls: Any,
    *,
    wall_s: float,
    cpu_s: float,
    target_concurrency: Any,
    slo: dict[str, float | None],
    thresholds: dict[str, float],
) -> dict[str, Any]:
    """``requests``/``calls``: this variant's rows (pandas DataFrames) incl. warm-up."""
    import numpy as np

    measured = requests[requests["phase"] == "measure"]
    ok = measured[measured["ok"]]
    n = len(measured)
    errors = n - len(ok)
    measured_ids = set(measured["idx"].tolist())
    mcalls = calls[(calls["kind"] == "model") & calls["request_idx"].isin(measured_ids)]

    duration_s = _measured_duration_s(measured)
    itl = (
        np.concatenate([np.asarray(v, dtype=float) for v in mcalls["itl_ms"]])
        if len(mcalls)
        else np.array([])
    )
    # Busy time over wall time: the mean number of requests in flight while measuring.
    achieved = (
        float((measured["end_ns"] - measured["start_ns"]).sum() / 1e9 / duration_s)
        if (duration_s > 0)
        else 0.0
    )

    good = _meets_slo(ok, slo)
    out_tokens = int(ok["output_tokens"].sum())
    summary: dict[str, Any] = {
        "requests": {
            "total": len(requests),
            "measured": n,
            "ok": len(ok),
            "errors": errors,
            "warmup": int((requests["phase"] == "warmup").sum()),
        },
        "duration_s": duration_s,
        "wall_s": wall_s,
        "throughput": {
            "requests_per_s": len(ok) / duration_s if duration_s > 0 else 0.0,
            "output_tokens_per_s": out_tokens / duration_s if duration_s > 0 else 0.0,
            "goodput_rps": int(good.sum()) / duration_s if duration_s > 0 else 0.0,
            "goodput_share": float(good.mean()) if len(good) else None,
        },
        "concurrency": {"target": target_concurrency, "achieved": achieved},
        "errors": {
            "rate": errors / n if n else 0.0,
            "by_kind": {
                str(k): int(v)
                for k, v in measured.loc[~measured["ok"], "error_kind"].value_counts().items()
            },
        },
        "latency_ms": {
            "ttft": describe(ok["ttft_ms"].to_numpy()),
            "itl": describe(itl),
            "tpot": describe(ok["tpot_ms"].to_numpy()),
            "e2e": describe(ok["e2e_ms"].to_numpy()),
        },
        "scheduler_lag_ms": describe(measured["lag_ms"].to_numpy()),
        "tokens": {
            "prompt": int(measured["prompt_tokens"].sum()),
            "output": int(measured["output_tokens"].sum()),
            "cached": int(measured["cached_tokens"].sum()),
        },
        "attempts": {
            "total": int(mcalls["attempts"].sum()) if len(mcalls) else 0,
            "retried_calls": int((mcalls["attempts"] > 1).sum()) if len(mcalls) else 0,
        },
        "client": {
            "cpu_s": cpu_s,
            "cpu_per_request_ms": cpu_s * 1000 / len(requests) if len(requests) else None,
        },
    }
    summary["thresholds"] = check_thresholds(summary, thresholds)
    return summary


def _measured_duration_s(measured: Any) -> float:
    """From the first measured request's intended start to the last one's end."""
    if not len(measured):
        return 0.0
    return float((measured["end_ns"].max() - measured["intended_ns"].min()) / 1e9)


def _meets_slo(ok: Any, slo: dict[str, float | None]) -> Any:
    import numpy as np

    good = np.ones(len(ok), dtype=bool)
    for key, column in (("ttft_ms", "ttft_ms"), ("tpot_ms", "tpot_ms"), ("e2e_ms", "e2e_ms")):
        limit = slo.get(key)
        if limit is not None:
            values = ok[column].to_numpy()
            good &= ~(values > limit)  # NaN (undefined TPOT) does not fail an SLO
    return good


def threshold_value(summary: dict[str, Any], name: str) -> float | None:
    """The measured value a threshold name refers to (p95_ttft_ms → latency.ttft.p95)."""
    if name == "error_rate":
        return summary["errors"]["rate"]
    if name == "min_throughput_rps":
        return summary["throughput"]["requests_per_s"]
    if name == "min_goodput_rps":
        return summary["throughput"]["goodput_rps"]
    if name == "max_cost_per_request_usd":
        cost = summary.get("cost") or {}
        per_request = cost.get("per_request_usd")
        return per_request.get("mean") if isinstance(per_request, dict) else per_request
    stat, metric, _ms = name.split("_")
    return summary["latency_ms"][metric].get(stat)


def check_thresholds(summary: dict[str, Any], thresholds: dict[str, float]) -> list[dict]:
    results = []
    for name, limit in thresholds.items():
        value = threshold_value(summary, name)
        if value is None:
            passed = None  # nothing measured: neither a pass nor a fail
        elif name.startswith("min_"):
            passed = value >= limit
        else:
            passed = value <= limit
        results.append({"name": name, "limit": limit, "value": value, "passed": passed})
    return results
