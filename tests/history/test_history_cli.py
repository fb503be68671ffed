"""`raafperf history` and `bench --baseline latest`, as a user runs them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from history_helpers import save, summary
from typer.testing import CliRunner

from raafperf.cli.app import app
from raafperf.cli.baseline import compare_with_baseline
from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.record.machine import machine_info
from raafperf.scenario.loader import load_scenario


def runs(root: Path) -> None:
    save(
        root, "demo-1", summary(started="2026-01-01T10:00:00+00:00", commit="aaa111", ttft_p95=200)
    )
    save(
        root,
        "demo-2",
        summary(started="2026-01-02T10:00:00+00:00", commit="bbb222", ttft_p95=300, passed=False),
    )
    save(
        root,
        "demo-3",
        summary(
            started="2026-01-03T10:00:00+00:00", commit="ccc333", ttft_p95=210, host="ci-runner"
        ),
    )


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_history_json_gives_the_trend_oldest_first(tmp_path: Path) -> None:
    runs(tmp_path)
    result = invoke("history", "demo", "--reports", str(tmp_path), "--json", "--limit", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scenario"] == "demo" and data["variant"] == "baseline"
    assert [r["git_commit"] for r in data["runs"]] == ["bbb222", "ccc333"]
    assert [r["metrics"]["ttft_p95_ms"] for r in data["runs"]] == [300, 210]
    assert data["runs"][1]["hostname"] == "ci-runner"
    assert data["runs"][0]["thresholds_passed"] is False
    assert (tmp_path / "history.sqlite").is_file()


def test_history_table_shows_commits_machines_and_the_trend(tmp_path: Path) -> None:
    runs(tmp_path)
    result = invoke("history", "demo", "--reports", str(tmp_path))
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "aaa111",
        "bbb222",
        "ccc333",
        "box · CPU X",
        "ci-runner",
        "TTFT p95 ms",
        "E2E p95 ms",
        "req/s",
        "$/req",
        "trend",
        "FAIL",
        "pass",
        "300.0",
    ):
        assert text in out, text


def test_history_takes_a_scenario_file_and_lists_scenarios(tmp_path: Path) -> None:
    runs(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: demo\nproviders: []\n")
    data = json.loads(invoke("history", str(scenario), "--reports", str(tmp_path), "--json").output)
    assert len(data["runs"]) == 3
    listing = invoke("history", "--reports", str(tmp_path), "--json")
    assert json.loads(listing.output)["scenarios"][0]["runs"] == 3
    assert "demo" in invoke("history", "--reports", str(tmp_path)).output


def test_history_of_an_unknown_scenario_or_variant_is_a_usage_error(tmp_path: Path) -> None:
    runs(tmp_path)
    result = CliRunner().invoke(app, ["history", "nope", "--reports", str(tmp_path)])
    assert result.exit_code == 2
    assert "no runs of 'nope'" in result.output and "demo" in result.output
    result = CliRunner().invoke(
        app, ["history", "demo", "--reports", str(tmp_path), "--variant", "cached"]
    )
    assert result.exit_code == 2 and "known: baseline" in result.output


def test_this_machine_keeps_only_runs_made_here(tmp_path: Path) -> None:
    runs(tmp_path)
    here = machine_info()
    save(
        tmp_path,
        "demo-here",
        summary(
            started="2026-01-04T10:00:00+00:00",
            host=str(here["hostname"]),
            cpu=str(here["cpu_model"]),
        ),
    )
    data = json.loads(
        invoke("history", "demo", "--reports", str(tmp_path), "--json", "--this-machine").output
    )
    assert [r["run_id"] for r in data["runs"]] == ["demo-here"]


TINY = """\
name: tiny
providers:
  - name: sim
    kind: simulated
    models: [m]
    simulator:
      latency: {ttft_ms: 5, itl_ms: 1, output_tokens: 4}
agents: [{name: a, model: m}]
queries: [{agent: a, texts: ["hi", "there"]}]
load: {mode: closed, concurrency: 4, requests: 24, warmup: 4}
"""


def test_bench_baseline_latest_compares_with_the_previous_run_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY))
    options = BenchOptions(out_root=tmp_path / "reports", workers=1)
    first = run_bench(load_scenario(path), options)
    # A first run has nothing to compare with: noted, not a failure.
    assert compare_with_baseline("latest", first, json_out=True) is False
    assert "nothing to compare with yet" in capsys.readouterr().err
    second = run_bench(load_scenario(path), options)
    assert compare_with_baseline("latest", second, json_out=True) is False
    err = capsys.readouterr().err
    assert f"baseline (latest on this machine): {first.run_dir}" in err
    assert first.run_dir.name in err  # the comparison table names the baseline run
    assert "inconclusive" in err.lower()  # 24 requests are too few for a verdict
