"""Saved runs written by hand, in summary.json's schema, for the history tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def summary(
    name: str = "demo",
    *,
    started: str = "2026-01-01T10:00:00+00:00",
    host: str = "box",
    cpu: str = "CPU X",
    commit: str | None = "abc123",
    ttft_p50: float = 100.0,
    ttft_p95: float = 200.0,
    e2e_p95: float = 900.0,
    rps: float = 40.0,
    error_rate: float = 0.0,
    cost_mean: float | None = 0.001,
    interrupted: bool = False,
    variants: tuple[str, ...] = ("baseline",),
    passed: bool | None = True,
) -> dict[str, Any]:
    def variant() -> dict[str, Any]:
        v: dict[str, Any] = {
            "requests": {"total": 120, "measured": 100, "ok": 100, "errors": 0, "warmup": 20},
            "throughput": {"requests_per_s": rps},
            "errors": {"rate": error_rate, "by_kind": {}},
            "latency_ms": {
                "ttft": {"count": 100, "p50": ttft_p50, "p95": ttft_p95, "p99": ttft_p95 * 1.2},
                "e2e": {"count": 100, "p50": e2e_p95 / 2, "p95": e2e_p95, "p99": None},
            },
            "thresholds": []
            if passed is None
            else [{"name": "p95_ttft_ms", "limit": 500, "value": ttft_p95, "passed": passed}],
        }
        if cost_mean is not None:
            v["cost"] = {
                "total_usd": cost_mean * 100,
                "requests": 100,
                "per_request_usd": {"mean": cost_mean},
            }
        return v

    return {
        "schema_version": 1,
        "raafperf_version": "0.1.0",
        "scenario": {"name": name, "path": f"{name}.yaml", "sha256": "f" * 64, "profile": None},
        "started_at": started,
        "finished_at": started,
        "interrupted": interrupted,
        "machine": {"hostname": host, "cpu_model": cpu, "cpu_count": 2, "git_commit": commit},
        "variants": {v: variant() for v in variants},
    }


def save(root: Path, run_id: str, data: dict[str, Any]) -> Path:
    run_dir = root / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    data = {**data, "run_id": run_id}
    (run_dir / "summary.json").write_text(json.dumps(data))
    return run_dir
