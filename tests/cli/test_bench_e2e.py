"""`raafperf bench` end to end on the built-in simulator, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def raafperf(
    *args: str, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "raafperf", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env,
        check=False,
    )


def scenario(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_quickstart_json_agrees_with_saved_samples(tmp_path: Path) -> None:
    proc = raafperf(
        "bench",
        str(ROOT / "scenarios" / "quickstart.yaml"),
        "--json",
        "--requests",
        "120",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    run_dir = Path(summary["run_dir"])
    assert summary["schema_version"] == 1 and summary["percentile_method"] == "nearest-rank"
    v = summary["variants"]["baseline"]
    requests = pd.read_parquet(run_dir / "requests.parquet")
    measured = requests[requests["phase"] == "measure"]
    ok = measured[measured["ok"]]
    assert v["requests"]["measured"] == len(measured) == 120
    assert v["requests"]["warmup"] == 20
    assert v["latency_ms"]["ttft"]["count"] == len(ok)
    # Nearest-rank percentiles recomputed from the saved samples agree exactly.
    for metric in ("ttft", "e2e", "tpot"):
        values = ok[f"{metric}_ms"].dropna().sort_values().to_numpy()
        for p in (50, 95, 99):
            rank = max(1, -(-p * len(values) // 100))
            assert v["latency_ms"][metric][f"p{p}"] == pytest.approx(values[rank - 1])
    assert v["tokens"]["output"] == int(measured["output_tokens"].sum())
    duration = (measured["end_ns"].max() - measured["intended_ns"].min()) / 1e9
    assert v["throughput"]["requests_per_s"] == pytest.approx(len(ok) / duration)
    assert summary["machine"]["cpu_count"] >= 1 and summary["raafperf_version"]


def test_quickstart_table_shows_the_streaming_metrics(tmp_path: Path) -> None:
    proc = raafperf(
        "bench",
        str(ROOT / "scenarios" / "quickstart.yaml"),
        "--requests",
        "60",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    for label in ("TTFT", "ITL", "TPOT", "E2E", "p50", "p95", "p99", "nearest-rank"):
        assert label in proc.stdout
    assert "\x1b[" not in proc.stdout  # no control characters when not a terminal


CONSTANT = """\
name: constant
providers:
  - name: sim
    kind: simulated
    models: [m]
    simulator:
      latency: {ttft_ms: 200, itl_ms: 20, output_tokens: 8}
agents: [{name: a, model: m}]
queries: [{agent: a, texts: ["measure me"]}]
load: {mode: closed, concurrency: 50, requests: 150, warmup: 50}
"""


def test_constant_latency_is_reported_within_2ms_at_50_streams(tmp_path: Path) -> None:
    loaded = load_scenario(scenario(tmp_path, CONSTANT))
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=1, ground_truth=True))
    lat = outcome.summary["variants"]["baseline"]["latency_ms"]
    # The issue asks 2 ms; a shared CI machine gets a little slack here, and
    # benchmarks/bench_accuracy.py prints the exact error against the ground truth.
    assert lat["ttft"]["p50"] == pytest.approx(200, abs=5)
    assert lat["itl"]["p50"] == pytest.approx(20, abs=2)
    assert lat["tpot"]["p50"] == pytest.approx(20, abs=2)
    gt = [
        json.loads(line)
        for line in (outcome.run_dir / "groundtruth" / "sim.groundtruth.jsonl")
        .read_text()
        .splitlines()
    ]
    assert len(gt) == 200  # warm-up included: the simulator saw every request


OPEN = """\
name: open
providers:
  - name: sim
    kind: simulated
    models: [m]
    simulator:
      latency: {ttft_ms: 1, itl_ms: 0, output_tokens: 2}
agents:
  - name: a
    model: m
    tools:
      - {name: burn, callable: "tests.cli.cpu_tools:burn", in_thread: false}
    allow_python_tools: true
    tool_rounds: 1
queries: [{agent: a, texts: ["go"]}]
load: {mode: open, rate: 400, arrival: constant, requests: 120}
"""


def test_open_loop_beyond_capacity_reports_scheduler_lag(tmp_path: Path) -> None:
    # Each request burns ~10 ms of the client's own CPU: 400 req/s cannot be kept up.
    loaded = load_scenario(scenario(tmp_path, OPEN))
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=1))
    v = outcome.summary["variants"]["baseline"]
    assert v["requests"]["measured"] == 120  # the asked requests all went out...
    assert v["scheduler_lag_ms"]["max"] > 50  # ...late, and the report says by how much
    assert v["generator"]["saturated"]
    assert any("scheduler lag" in w or "CPU" in w for w in v["generator"]["warnings"])


def test_threshold_failure_exits_1(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        CONSTANT.replace("requests: 150, warmup: 50", "requests: 20")
        + "thresholds: {p50_ttft_ms: 100}\n",
    )
    proc = raafperf("bench", str(path), "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "FAIL" in proc.stdout


def test_run_over_budget_stops_with_exit_1_and_keeps_samples(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """\
        name: budget
        providers:
          - name: sim
            kind: simulated
            models: [gpt-4o]
            simulator: {latency: {ttft_ms: 2, itl_ms: 0, output_tokens: 100}}
        agents: [{name: a, model: gpt-4o}]
        queries: [{agent: a, texts: ["hello there"]}]
        load: {mode: closed, concurrency: 2, requests: 5000}
        budget: {per_run_usd: 0.01}
        """,
    )
    proc = raafperf("bench", str(path), "--out", str(tmp_path), "--workers", "1")
    assert proc.returncode == 1
    assert "budget" in proc.stderr and "samples were kept" in proc.stderr
    run_dir = next(tmp_path.glob("budget-*"))
    saved = pd.read_parquet(run_dir / "requests.parquet")
    assert 5 <= len(saved) < 100


def test_two_workers_give_one_merged_report(tmp_path: Path) -> None:
    loaded = load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    from raafperf.engine.overrides import apply_cli_overrides

    loaded = apply_cli_overrides(loaded, requests=120)
    outcome = run_bench(loaded, BenchOptions(out_root=tmp_path, workers=2))
    v = outcome.summary["variants"]["baseline"]
    assert outcome.summary["workers"] == 2
    assert v["requests"]["measured"] == 120
    requests = pd.read_parquet(outcome.run_dir / "requests.parquet")
    assert set(requests["worker"]) == {0, 1}
    assert requests["idx"].is_unique


def test_prices_override_reaches_every_cost_figure(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {"m": {"input": 1000.0, "output": 2000.0}}}))
    path = scenario(
        tmp_path,
        CONSTANT.replace("ttft_ms: 200, itl_ms: 20", "ttft_ms: 5, itl_ms: 1").replace(
            "requests: 150, warmup: 50", "requests: 20"
        ),
    )
    proc = raafperf("bench", str(path), "--json", "--out", str(tmp_path), "--prices", str(prices))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    requests = pd.read_parquet(Path(summary["run_dir"]) / "requests.parquet")
    cost = summary["variants"]["baseline"]["cost"]
    # The per-request samples and the summary price the same calls with the same table.
    assert cost["total_usd"] == pytest.approx(requests["cost_usd"].sum())
    assert cost["total_usd"] > 0 and not cost["unpriced_models"]
