"""Where a request's end-to-end time goes: one row of stages per request, then means and shares.

Per measured, successful request (e2e here is end − intended start, client overhead included,
so the stages and ``other`` account for all of it):

    e2e = schedule_wait + Σ model-call stages + tool_execution + request-level stages + other

- ``schedule_wait``: ``lag_ms`` (actual − intended start; open loop only, else ~0).
- model-call stages: ``calls.stages`` (JSON stage → ms) of the request's model calls, summed
  by name: cache_lookup, routing, connection_wait, network, parsing (and any other key a layer
  sets, e.g. agent_wait). Each layer reports its own exclusive time.
- ``tool_execution``: the union of the request's tool-call [start, end] intervals, so tools
  that run in parallel are not counted twice.
- request-level stages: a ``stages`` JSON column on requests, when the engine writes one.
- ``other``: the remainder — the client's own overhead nobody timed (the agent loop between
  calls, message building, the stack between layers). It is what makes the breakdown add up
  to e2e exactly; it is small when the layers time everything, and negative when stages
  overlap (a layer counted another's time), which is reported rather than hidden.
"""

from __future__ import annotations

import json
import math
from typing import Any

STAGE_ORDER = (
    "schedule_wait",
    "agent_wait",
    "cache_lookup",
    "routing",
    "routing_wait",
    "retries",
    "connection_wait",
    "network",
    "parsing",
    "tool_execution",
    "other",
)
GROUPS = {
    "waiting": ("schedule_wait", "agent_wait", "routing_wait", "connection_wait"),
    "retries": ("retries",),
    "provider": ("network",),
    "tools": ("tool_execution",),
    "client": ("cache_lookup", "routing", "parsing", "other"),
}
"""Stages a user reads together; unknown stage names count as client time."""


def stage_table(requests_df: Any, calls_df: Any, variant: str | None = None) -> Any:
    """One row per measured ok request: e2e_ms and one column per stage (ms), ``other`` last."""
    import pandas as pd

    req = requests_df
    if variant is not None:
        req = req[req["variant"] == variant]
    if "phase" in req.columns:
        req = req[req["phase"] == "measure"]
    if "ok" in req.columns:
        req = req[req["ok"].astype(bool)]
    keys = ["variant", "idx"] if "variant" in req.columns else ["idx"]
    table = req[keys].copy()
    if "end_ns" in req.columns and "intended_ns" in req.columns:
        table["e2e_ms"] = ((req["end_ns"] - req["intended_ns"]) / 1e6).astype(float)
    else:
        table["e2e_ms"] = req["e2e_ms"].astype(float)
    table["schedule_wait"] = req["lag_ms"].astype(float).fillna(0.0).clip(lower=0.0)
    if "agent_wait_ms" in req.columns:
        table["agent_wait"] = req["agent_wait_ms"].astype(float).fillna(0.0)
    table = table.set_index(keys)
    if "stages" in req.columns:
        extra = _stage_frame(req["stages"], req.index)
        extra.index = table.index
        table = _add_columns(table, extra)

    if calls_df is not None and len(calls_df) and "kind" in calls_df.columns:
        table = _add_call_stages(table, calls_df, keys, variant)

    stage_cols = [c for c in table.columns if c != "e2e_ms"]
    table[stage_cols] = table[stage_cols].astype(float).fillna(0.0)
    table["other"] = table["e2e_ms"] - table[stage_cols].sum(axis=1)
    ordered = [s for s in STAGE_ORDER if s in table.columns]
    ordered += sorted(c for c in table.columns if c not in ordered and c != "e2e_ms")
    return pd.DataFrame(table[["e2e_ms", *ordered]])


def _add_call_stages(table: Any, calls: Any, keys: list[str], variant: str | None) -> Any:
    if variant is not None and "variant" in calls.columns:
        calls = calls[calls["variant"] == variant]
    ckeys = ["variant", "request_idx"] if "variant" in calls.columns else ["request_idx"]
    model = calls[calls["kind"] == "model"]
    if len(model):
        per_call = _stage_frame(model["stages"], model.index)
        summed = per_call.groupby([model[k] for k in ckeys]).sum()
        summed.index = summed.index.set_names(keys)
        table = _add_columns(table, summed)
    tools = calls[calls["kind"] == "tool"]
    if len(tools):
        union = _interval_union_ms(tools, ckeys)
        union.index = union.index.set_names(keys)
        table = _add_columns(table, union.to_frame("tool_execution"))
    return table


def summarize_stages(requests_df: Any, calls_df: Any, variant: str | None = None) -> dict[str, Any]:
    """summary.json["variants"][v]["stages_ms"]: mean ms and share of e2e per stage."""
    table = stage_table(requests_df, calls_df, variant)
    n = len(table)
    out: dict[str, Any] = {
        "requests": n,
        "definition": "mean ms per measured ok request; share = mean / mean e2e; "
        "other = e2e - sum of timed stages",
        "e2e": _finite(table["e2e_ms"].mean()) if n else None,
        "stages": {},
        "groups": {},
    }
    if n == 0:
        return out
    e2e_mean = float(table["e2e_ms"].mean())
    for col in table.columns:
        if col == "e2e_ms":
            continue
        mean = float(table[col].mean())
        out["stages"][col] = {
            "mean": mean,
            "share": mean / e2e_mean if e2e_mean > 0 else None,
        }
    for group, names in GROUPS.items():
        cols = [c for c in table.columns if c in names]
        if group == "client":
            known = {s for ss in GROUPS.values() for s in ss}
            cols += [c for c in table.columns if c != "e2e_ms" and c not in known]
        mean = float(table[cols].sum(axis=1).mean()) if cols else 0.0
        out["groups"][group] = {"mean": mean, "share": mean / e2e_mean if e2e_mean > 0 else None}
    other = table["other"]
    out["other_ms"] = {
        "p50": float(other.median()),
        "min": float(other.min()),
        "max": float(other.max()),
        "negative_requests": int((other < -0.01).sum()),
    }
    # The breakdown adds up by construction; report how exactly (float rounding only).
    stage_cols = [c for c in table.columns if c != "e2e_ms"]
    out["closure_error_ms"] = float((table[stage_cols].sum(axis=1) - table["e2e_ms"]).abs().max())
    return out


def _stage_frame(column: Any, index: Any) -> Any:
    import pandas as pd

    rows = [_parse(v) for v in column]
    frame = pd.DataFrame.from_records(rows, index=index) if rows else pd.DataFrame(index=index)
    return frame.astype(float)


def _parse(value: Any) -> dict[str, float]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return {}
    data = json.loads(value) if isinstance(value, str | bytes) else dict(value)
    return {str(k): float(v) for k, v in data.items() if v is not None}


def _interval_union_ms(tools: Any, keys: list[str]) -> Any:
    """Per request, the length of the union of its tool calls' [start_ns, end_ns] intervals."""
    frame = tools[[*keys, "start_ns", "end_ns"]].astype({"start_ns": "int64", "end_ns": "int64"})
    frame = frame.sort_values([*keys, "start_ns"]).reset_index(drop=True)
    # A new merged segment starts where a call begins after every earlier call of the request ended.
    reach = frame.groupby(keys)["end_ns"].cummax()
    prev_reach = reach.groupby([frame[k] for k in keys]).shift()
    new_segment = prev_reach.isna() | (frame["start_ns"] > prev_reach)
    segment = new_segment.cumsum()
    merged = frame.groupby(segment).agg(
        **{k: (k, "first") for k in keys}, start=("start_ns", "min"), end=("end_ns", "max")
    )
    merged["ms"] = (merged["end"] - merged["start"]) / 1e6
    return merged.groupby(keys)["ms"].sum()


def _add_columns(table: Any, frame: Any) -> Any:
    """Add ``frame``'s columns into ``table`` (aligned on the index; missing rows count 0)."""
    frame = frame.reindex(table.index).fillna(0.0)
    for col in frame.columns:
        if col in table.columns:
            table[col] = table[col].fillna(0.0) + frame[col]
        else:
            table[col] = frame[col]
    return table


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
