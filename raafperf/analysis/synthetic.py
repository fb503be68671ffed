"""Synthetic saved runs in the layout of a real one, for tests, demos and benchmarks.

A closed loop of ``concurrency`` workers answers ``n`` requests with log-normal TTFT and
token gaps; ``slowdown`` scales every latency, so two runs that differ only in ``seed`` are
an A/A pair and ``slowdown=1.3`` is a run 30% slower. Writes summary.json,
requests.parquet and calls.parquet as ``raafperf.record`` does.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from raafperf.analysis.stats import describe

AGENTS = {"triage": ("sim-openai", "gpt-4o-mini"), "writer": ("sim-anthropic", "claude-haiku")}
PRICES = {"gpt-4o-mini": (0.15e-6, 0.60e-6), "claude-haiku": (0.80e-6, 4.0e-6)}
ERROR_KINDS = ("http_429", "http_503", "timeout")


def write_synthetic_run(
    root: str | Path,
    *,
    name: str = "synthetic",
    n: int = 2000,
    seed: int = 0,
    slowdown: float = 1.0,
    error_rate: float = 0.0,
    warmup: int = 0,
    concurrency: int = 8,
    tokens: int = 16,
    variants: Mapping[str, float] | None = None,
    gate: Mapping[str, str] | None = None,
    cost_scale: float = 1.0,
    folder: str | None = None,
    started_at: str = "2025-01-01T00:00:00Z",
) -> Path:
    """Write one run under ``root`` and return its folder.

    ``variants`` maps extra variant names to their own slowdown (relative to ``slowdown``).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from raafperf.record.store import write_summary

    run_dir = Path(root) / (folder or f"{name}-seed{seed}-x{slowdown:g}")
    run_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    all_variants = {"baseline": 1.0, **(variants or {})}
    req_parts, call_parts, summaries = [], [], {}
    for vname, factor in all_variants.items():
        req, calls = _variant(
            rng,
            vname,
            n + warmup,
            warmup,
            slowdown * factor,
            error_rate,
            concurrency,
            tokens,
            cost_scale,
        )
        req_parts.append(req)
        call_parts.append(calls)
        summaries[vname] = _summary(req, calls, concurrency)
    requests = {k: [x for part in req_parts for x in part[k]] for k in req_parts[0]}
    calls = {k: [x for part in call_parts for x in part[k]] for k in call_parts[0]}
    calls_table = pa.table(
        {
            **{k: v for k, v in calls.items() if k != "itl_ms"},
            "itl_ms": pa.array(calls["itl_ms"], type=pa.list_(pa.float32())),
        }
    )
    pq.write_table(pa.table(requests), run_dir / "requests.parquet")
    pq.write_table(calls_table, run_dir / "calls.parquet")
    write_summary(
        run_dir,
        {
            "schema_version": 1,
            "raafperf_version": "synthetic",
            "run_id": run_dir.name,
            "percentile_method": "nearest-rank",
            "scenario": {
                "name": name,
                "path": f"{name}.yaml",
                "sha256": "0" * 64,
                "config": {"name": name, "gate": dict(gate or {})},
            },
            "started_at": started_at,
            "finished_at": started_at,
            "interrupted": False,
            "machine": {
                "hostname": "synthetic",
                "platform": "linux",
                "python": "3.11",
                "cpu_count": 2,
                "cpu_model": "synthetic",
                "git_commit": None,
            },
            "files": {"requests": "requests.parquet", "calls": "calls.parquet"},
            "variants": summaries,
        },
    )
    return run_dir


def _variant(
    rng: Any,
    variant: str,
    total: int,
    warmup: int,
    slowdown: float,
    error_rate: float,
    concurrency: int,
    tokens: int,
    cost_scale: float,
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    import numpy as np

    names = list(AGENTS)
    agent_idx = rng.integers(0, len(names), total)
    ttft = rng.lognormal(math.log(180.0), 0.35, total) * slowdown
    out_tokens = rng.integers(max(2, tokens // 2), tokens * 2, total)
    speed = rng.lognormal(0.0, 0.2, total)
    ok = rng.random(total) >= error_rate
    gaps_flat = rng.lognormal(math.log(12.0), 0.3, int((out_tokens - 1).sum()))
    splits = np.cumsum(out_tokens - 1)[:-1]
    gaps = [g * speed[i] * slowdown for i, g in enumerate(np.split(gaps_flat, splits))]
    prompt = rng.integers(200, 800, total)
    kinds = rng.integers(0, len(ERROR_KINDS), total)

    workers = [(0.0, w) for w in range(concurrency)]
    heapq.heapify(workers)
    req: dict[str, list[Any]] = {
        k: []
        for k in (
            "variant",
            "idx",
            "phase",
            "worker",
            "agent",
            "query",
            "intended_ns",
            "start_ns",
            "first_token_ns",
            "end_ns",
            "lag_ms",
            "ttft_ms",
            "e2e_ms",
            "tpot_ms",
            "prompt_tokens",
            "output_tokens",
            "cached_tokens",
            "ok",
            "status",
            "error_kind",
            "provider",
            "attempts",
            "model_calls",
            "tool_calls",
            "turns",
            "model_ms",
            "tool_ms",
            "cache",
            "cost_usd",
            "downgraded",
        )
    }
    calls: dict[str, list[Any]] = {
        k: []
        for k in (
            "variant",
            "request_idx",
            "call_idx",
            "kind",
            "name",
            "agent",
            "provider",
            "start_ns",
            "first_token_ns",
            "end_ns",
            "ttft_ms",
            "duration_ms",
            "prompt_tokens",
            "output_tokens",
            "cached_tokens",
            "usage_reported",
            "estimated_prompt_tokens",
            "ok",
            "status",
            "error_kind",
            "attempts",
            "attempt_errors",
            "cache",
            "fallbacks",
            "connect_ms",
            "new_connection",
            "itl_ms",
            "cost_usd",
            "stages",
        )
    }
    for i in range(total):
        free_at, worker = heapq.heappop(workers)
        agent = names[agent_idx[i]]
        provider, model = AGENTS[agent]
        good = bool(ok[i])
        if good:
            first = float(ttft[i])
            e2e = first + float(gaps[i].sum())
            n_out = int(out_tokens[i])
            tpot = (e2e - first) / (n_out - 1) if n_out > 1 else math.nan
            p_in, p_out = PRICES[model]
            cost = (int(prompt[i]) * p_in + n_out * p_out) * cost_scale
        else:
            first, e2e, n_out, tpot = math.nan, float(ttft[i]) * 0.5, 0, math.nan
            cost = 0.0
        start_ns = int(free_at * 1e6)
        end_ns = start_ns + int(e2e * 1e6)
        first_ns = start_ns + int(first * 1e6) if good else None
        kind = "" if good else ERROR_KINDS[kinds[i]]
        status = 200 if good else (429 if kind == "http_429" else 503 if kind else 0)
        for key, value in (
            ("variant", variant),
            ("idx", i),
            ("phase", "warmup" if i < warmup else "measure"),
            ("worker", worker),
            ("agent", agent),
            ("query", i % 50),
            ("intended_ns", start_ns),
            ("start_ns", start_ns),
            ("first_token_ns", first_ns),
            ("end_ns", end_ns),
            ("lag_ms", 0.0),
            ("ttft_ms", first),
            ("e2e_ms", e2e),
            ("tpot_ms", tpot),
            ("prompt_tokens", int(prompt[i])),
            ("output_tokens", n_out),
            ("cached_tokens", 0),
            ("ok", good),
            ("status", status),
            ("error_kind", kind),
            ("provider", provider),
            ("attempts", 1),
            ("model_calls", 1),
            ("tool_calls", 0),
            ("turns", 1),
            ("model_ms", e2e),
            ("tool_ms", 0.0),
            ("cache", "off"),
            ("cost_usd", cost),
            ("downgraded", False),
        ):
            req[key].append(value)
        for key, value in (
            ("variant", variant),
            ("request_idx", i),
            ("call_idx", 0),
            ("kind", "model"),
            ("name", model),
            ("agent", agent),
            ("provider", provider),
            ("start_ns", start_ns),
            ("first_token_ns", first_ns),
            ("end_ns", end_ns),
            ("ttft_ms", first),
            ("duration_ms", e2e),
            ("prompt_tokens", int(prompt[i])),
            ("output_tokens", n_out),
            ("cached_tokens", 0),
            ("usage_reported", True),
            ("estimated_prompt_tokens", int(prompt[i])),
            ("ok", good),
            ("status", status),
            ("error_kind", kind),
            ("attempts", 1),
            ("attempt_errors", kind),
            ("cache", "off"),
            ("fallbacks", 0),
            ("connect_ms", 0.0),
            ("new_connection", False),
            ("itl_ms", gaps[i].astype("float32").tolist() if good else []),
            ("cost_usd", cost),
            ("stages", "{}"),
        ):
            calls[key].append(value)
        heapq.heappush(workers, (free_at + e2e + 0.1, worker))
    return req, calls


def _summary(
    req: dict[str, list[Any]], calls: dict[str, list[Any]], concurrency: int
) -> dict[str, Any]:
    import numpy as np

    measure = np.array([p == "measure" for p in req["phase"]])
    ok = np.array(req["ok"]) & measure
    start = np.array(req["start_ns"])[measure]
    end = np.array(req["end_ns"])[measure]
    duration = (end.max() - start.min()) / 1e9 if measure.any() else 0.0
    errors = int((~np.array(req["ok"]) & measure).sum())
    by_kind: dict[str, int] = {}
    for kind, m, good in zip(req["error_kind"], measure, req["ok"], strict=True):
        if m and not good:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    itl = [g for row, m in zip(calls["itl_ms"], measure, strict=True) if m for g in row]
    out_tokens = int(np.array(req["output_tokens"])[measure].sum())
    return {
        "requests": {
            "total": len(req["idx"]),
            "measured": int(measure.sum()),
            "ok": int(ok.sum()),
            "errors": errors,
            "warmup": int((~measure).sum()),
        },
        "duration_s": float(duration),
        "throughput": {
            "requests_per_s": float(ok.sum() / duration) if duration else 0.0,
            "output_tokens_per_s": out_tokens / duration if duration else 0.0,
            "goodput_rps": None,
        },
        "concurrency": {"target": concurrency, "achieved": float(concurrency)},
        "errors": {"rate": errors / max(int(measure.sum()), 1), "by_kind": by_kind},
        "latency_ms": {
            "ttft": describe(np.array(req["ttft_ms"])[ok]),
            "itl": describe(np.array(itl, dtype=float)),
            "tpot": describe(np.array(req["tpot_ms"])[ok]),
            "e2e": describe(np.array(req["e2e_ms"])[ok]),
        },
        "scheduler_lag_ms": describe(np.zeros(int(measure.sum()))),
        "tokens": {
            "prompt": int(np.array(req["prompt_tokens"])[measure].sum()),
            "output": out_tokens,
            "cached": 0,
        },
        "client": {"cpu_s": 0.0, "cpu_per_request_ms": 0.0},
        "thresholds": [],
    }
