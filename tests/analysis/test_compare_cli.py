"""``raafperf compare`` end to end through typer: exit codes, formats, the step summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.cli.compare_cmd import compare_with_baseline, latest_run_beside, register
from raafperf.record.store import load_run


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Stand-in for the main app's callback, so 'compare' stays a subcommand."""

    return app


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-runs")
    return {
        "a": write_synthetic_run(
            root, n=600, seed=1, folder="synthetic-a", started_at="2025-01-01T10:00:00Z"
        ),
        "b": write_synthetic_run(
            root, n=600, seed=2, folder="synthetic-b", started_at="2025-01-01T11:00:00Z"
        ),
        "slow": write_synthetic_run(
            root,
            n=600,
            seed=3,
            slowdown=1.3,
            folder="synthetic-slow",
            started_at="2025-01-01T12:00:00Z",
        ),
    }


def invoke(app: typer.Typer, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["compare", *args], env=env or {"GITHUB_STEP_SUMMARY": ""})


def test_regression_exits_1_with_the_table(app, runs) -> None:
    res = invoke(app, str(runs["a"]), str(runs["slow"]), "--resamples", "500")
    assert res.exit_code == 1, res.output
    assert "REGRESSION" in res.output
    assert "regression in p50_ttft" in res.output
    assert "Traceback" not in res.output


def test_aa_exits_0_and_strict_fails_on_inconclusive(app, runs) -> None:
    res = invoke(app, str(runs["a"]), str(runs["b"]), "--resamples", "500")
    assert res.exit_code == 0, res.output
    assert "REGRESSION" not in res.output
    assert "INCONCLUSIVE" in res.output  # p95/p99 at 600 samples a side
    strict = invoke(app, str(runs["a"]), str(runs["b"]), "--resamples", "500", "--strict")
    assert strict.exit_code == 1
    assert "inconclusive (--strict)" in strict.output


def test_thresholds_from_the_command_line(app, runs) -> None:
    res = invoke(
        app,
        str(runs["a"]),
        str(runs["slow"]),
        "--resamples",
        "500",
        "-t",
        "latency:60%",
        "-t",
        "throughput:60%",
    )
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nowhere", "nowhere-either"], "no such run"),
        (["{a}", "{b}", "-t", "p95_ttft:ten"], "10% or +0.5pp"),
        (["{a}", "{b}", "--format", "pdf"], "unknown format"),
        (["{a}", "{b}", "--variant", "cached"], "no variant 'cached'"),
    ],
)
def test_bad_input_exits_2_with_one_line(app, runs, args, needle) -> None:
    args = [a.format(a=runs["a"], b=runs["b"]) for a in args]
    res = invoke(app, *args)
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert "Traceback" not in res.output


def test_junit_file_and_step_summary(app, runs, tmp_path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("# earlier step\n")
    out = tmp_path / "compare.xml"
    res = invoke(
        app,
        str(runs["a"]),
        str(runs["slow"]),
        "--resamples",
        "500",
        "--format",
        "junit",
        "--output",
        str(out),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert res.exit_code == 1
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    assert int(root.get("failures", "0")) >= 1
    text = summary.read_text()
    assert text.startswith("# earlier step\n")  # appended, not replaced
    assert "## raafperf compare" in text and "**REGRESSION**" in text
    quiet = tmp_path / "quiet.md"
    invoke(
        app,
        str(runs["a"]),
        str(runs["b"]),
        "--resamples",
        "500",
        "--no-step-summary",
        env={"GITHUB_STEP_SUMMARY": str(quiet)},
    )
    assert not quiet.exists()


def test_json_to_stdout(app, runs) -> None:
    res = invoke(
        app,
        str(runs["a"]) + "/summary.json",
        str(runs["b"]),
        "--resamples",
        "500",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["kind"] == "comparison"
    assert {m["name"] for m in doc["metrics"]} >= {"p95_ttft", "error_rate", "throughput"}


def test_bench_helper_and_latest(runs, capsys) -> None:
    slow = load_run(runs["slow"])
    assert latest_run_beside(slow) == runs["b"].resolve()  # newest other run
    assert latest_run_beside(load_run(runs["b"])) == runs["slow"].resolve()
    assert compare_with_baseline("latest", slow, json_out=True) is True
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays free for the bench JSON
    assert "REGRESSION" in captured.err

    class Outcome:  # what bench passes: anything with run_dir
        run_dir = runs["b"]

    assert compare_with_baseline(runs["a"], Outcome()) is False
