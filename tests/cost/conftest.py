"""Small saved runs in the RECORDS.md layout, written as real parquet files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REQUEST_DEFAULTS: dict[str, Any] = {
    "variant": "baseline", "idx": 0, "phase": "measure", "worker": 0, "agent": "support",
    "query": 0, "intended_ns": 0, "start_ns": 0, "first_token_ns": 1_000_000,
    "end_ns": 2_000_000, "lag_ms": 0.0, "ttft_ms": 1.0, "e2e_ms": 2.0, "tpot_ms": 0.1,
    "prompt_tokens": 0, "output_tokens": 0, "cached_tokens": 0, "ok": True, "status": 200,
    "error_kind": "", "provider": "p1", "attempts": 1, "model_calls": 1, "tool_calls": 0,
    "turns": 1, "model_ms": 2.0, "tool_ms": 0.0, "cache": "off", "cost_usd": float("nan"),
    "downgraded": False,
}  # fmt: skip

CALL_DEFAULTS: dict[str, Any] = {
    "variant": "baseline", "request_idx": 0, "call_idx": 0, "kind": "model", "name": "m-big",
    "agent": "support", "provider": "p1", "start_ns": 0, "first_token_ns": 1_000_000,
    "end_ns": 2_000_000, "ttft_ms": 1.0, "duration_ms": 2.0, "prompt_tokens": 0,
    "output_tokens": 0, "cached_tokens": 0, "usage_reported": True,
    "estimated_prompt_tokens": 0, "ok": True, "status": 200, "error_kind": "", "attempts": 1,
    "attempt_errors": "", "cache": "off", "fallbacks": 0, "connect_ms": 0.0,
    "new_connection": False, "itl_ms": [0.5], "cost_usd": float("nan"), "stages": "{}",
}  # fmt: skip

PRICES = {
    "models": {
        "m-big": {"provider": "test", "input": 10.0, "cached_input": 1.0, "output": 30.0,
                  "quality": 90},
        "m-small": {"provider": "test", "input": 1.0, "output": 2.0, "quality": 60},
    }
}  # fmt: skip


def _config(prices: str | None) -> dict[str, Any]:
    return {
        "name": "costtest",
        "providers": [
            {"name": "p1", "kind": "simulated", "models": ["m-big", "m-small"],
             "price_multiplier": 1.0},
            {"name": "p2", "kind": "simulated", "models": ["m-small", "mystery-model"],
             "price_multiplier": 2.0},
        ],
        "agents": [{"name": "support", "model": "m-big"}, {"name": "triage", "model": "m-small"}],
        "prices": prices,
        "budget": {"per_request_usd": 0.02},
    }  # fmt: skip


RunWriter = Callable[..., Path]


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    return path


@pytest.fixture
def write_run(tmp_path: Path) -> RunWriter:
    """write_run(name, requests, calls, variants=None, prices=None) -> the run folder."""
    import pandas as pd

    def write(
        name: str,
        requests: list[dict[str, Any]],
        calls: list[dict[str, Any]],
        *,
        variants: dict[str, Any] | None = None,
        prices: str | None = None,
        scenario_path: Path | None = None,
    ) -> Path:
        run = tmp_path / name
        run.mkdir()
        pd.DataFrame([{**REQUEST_DEFAULTS, **r} for r in requests]).to_parquet(
            run / "requests.parquet"
        )
        pd.DataFrame([{**CALL_DEFAULTS, **c} for c in calls]).to_parquet(run / "calls.parquet")
        summary = {
            "schema_version": 1,
            "run_id": name,
            "scenario": {
                "name": "costtest",
                "path": str(scenario_path or tmp_path / "scenario.yaml"),
                "config": _config(prices),
            },
            "files": {"requests": "requests.parquet", "calls": "calls.parquet"},
            "variants": variants
            or {"baseline": {"duration_s": 10.0, "throughput": {"requests_per_s": 0.5}}},
        }
        (run / "summary.json").write_text(json.dumps(summary))
        return run

    return write


@pytest.fixture
def run_a_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hand-checked run: see test_cost_summary.py for the arithmetic."""
    requests = [
        {"idx": 0, "phase": "warmup", "agent": "support"},
        {"idx": 1, "agent": "support"},
        {"idx": 2, "agent": "triage", "provider": "p2"},
        {"idx": 3, "agent": "support", "cache": "hit"},
        {"idx": 4, "agent": "triage", "provider": "p2"},
        {"idx": 5, "agent": "support", "downgraded": True},
    ]
    calls = [
        {"request_idx": 0, "name": "m-big", "prompt_tokens": 1000, "output_tokens": 100},
        {"request_idx": 1, "name": "m-big", "prompt_tokens": 2000, "cached_tokens": 1000,
         "output_tokens": 500, "estimated_prompt_tokens": 1900},
        {"request_idx": 1, "call_idx": 1, "kind": "tool", "name": "lookup", "prompt_tokens": 0},
        {"request_idx": 2, "name": "m-small", "agent": "triage", "provider": "p2",
         "prompt_tokens": 400, "output_tokens": 100, "estimated_prompt_tokens": 440},
        {"request_idx": 3, "name": "m-big", "prompt_tokens": 2000, "output_tokens": 500,
         "cache": "hit", "usage_reported": False},
        {"request_idx": 4, "name": "mystery-model", "agent": "triage", "provider": "p2",
         "prompt_tokens": 100, "output_tokens": 10},
        {"request_idx": 5, "name": "m-small", "prompt_tokens": 1000, "output_tokens": 200},
    ]  # fmt: skip
    return requests, calls
