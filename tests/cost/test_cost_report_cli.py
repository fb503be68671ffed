"""``raafperf cost-report`` on saved runs, through typer's CliRunner.

Run A is the hand-checked run of test_cost_summary.py: $0.0286 over 5 requests, i.e.
$5.72 per 1,000 requests. Run B calls m-small where A called m-big for request 1
((2000·1 + 500·2)/1e6 = $0.003), so it costs $0.0056, $1.12 per 1,000 requests.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from raafperf.cli.cost_report_cmd import register

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """raafperf (test app)."""

    register(app)
    return app


@pytest.fixture
def runs(write_run, run_a_rows, price_file):
    requests, calls = run_a_rows
    a = write_run("run-a", requests, calls, prices=price_file.name)
    calls_b = [dict(c) for c in calls]
    calls_b[1].update(name="m-small")  # request 1 on the small model
    b = write_run("run-b", requests, calls_b, prices=price_file.name)
    return a, b


def invoke(app, *args):
    return CliRunner().invoke(app, ["cost-report", *map(str, args)], env=ENV)


def test_json_report_prices_projects_and_compares(app, runs):
    result = invoke(app, *runs, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    a, b = report["runs"]
    assert a["cost"]["total_usd"] == pytest.approx(0.0286)
    assert b["cost"]["total_usd"] == pytest.approx(0.0056)
    assert a["cost"]["price_files"][-1].endswith("prices.json")  # the scenario's own prices
    # default rate: the run's measured throughput, 0.5 requests/s = 43,200 a day
    assert a["rate_source"] == "measured"
    assert a["projection"]["per_day_usd"] == pytest.approx(5.72 / 1000 * 43_200)
    assert a["projection"]["per_month_usd"] == pytest.approx(5.72 / 1000 * 43_200 * 30)
    (comp,) = report["comparisons"]
    assert comp["total"]["diff"] == pytest.approx(1.12 - 5.72)
    assert comp["total"]["pct"] == pytest.approx((1.12 - 5.72) / 5.72 * 100)
    rows = {(r["agent"], r["model"]): r for r in comp["rows"]}
    assert rows[("support", "m-big")]["other"] == pytest.approx(0.0)
    assert rows[("support", "m-big")]["pct"] == pytest.approx(-100.0)
    assert rows[("support", "m-small")]["diff"] == pytest.approx(0.88 - 0.28)
    assert rows[("triage", "mystery-model")]["diff"] is None  # unpriced: no difference claimed
    assert comp["total_usd"]["diff"] == pytest.approx(0.0056 - 0.0286)


def test_table_output(app, runs):
    result = invoke(app, *runs)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("run-a · baseline · 5 requests", "m-big", "m-small", "mystery-model",
                 "$0.0286", "$5.72", "cache saved $0.035", "downgrades: 1 requests",
                 "unpriced (not in the totals", "run-b vs run-a", "-80.4%", "-$4.6",
                 "/30-day month", "token estimate vs reported usage, m-big"):  # fmt: skip
        assert text in out, text


@pytest.mark.parametrize(
    ("option", "per_day_requests"), [(["--rate", "2"], 172_800), (["--per-day", "1000"], 1000)]
)
def test_rate_options(app, runs, option, per_day_requests):
    result = invoke(app, runs[0], *option, "--json")
    assert result.exit_code == 0, result.output
    (vc,) = json.loads(result.output)["runs"]
    assert vc["projection"]["requests_per_day"] == pytest.approx(per_day_requests)
    assert vc["projection"]["per_day_usd"] == pytest.approx(5.72 / 1000 * per_day_requests)


def test_csv_output(app, runs):
    result = invoke(app, *runs, "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    totals = [r for r in rows if r["section"] == "cost" and r["agent"] == "TOTAL"]
    assert [float(r["cost_usd"]) for r in totals] == pytest.approx([0.0286, 0.0056])
    (diff,) = [r for r in rows if r["section"] == "diff" and r["agent"] == "TOTAL"]
    assert float(diff["diff_usd_per_1k_requests"]) == pytest.approx(-4.6)


def test_prices_option_reprices_the_run(app, runs, tmp_path):
    cheaper = tmp_path / "cheaper.yaml"
    cheaper.write_text("models:\n  m-big: {input: 5.0, cached_input: 0.5}\n  mystery-model: "
                       "{input: 1.0, output: 1.0}\n")  # fmt: skip
    result = invoke(app, runs[0], "--prices", cheaper, "--json")
    assert result.exit_code == 0, result.output
    cost = json.loads(result.output)["runs"][0]["cost"]
    m_big = (1000 * 5 + 1000 * 0.5 + 500 * 30) / 1e6
    mystery = (100 * 1 + 10 * 1) * 2 / 1e6
    assert cost["complete"] is True
    assert cost["total_usd"] == pytest.approx(m_big + 0.0012 + mystery + 0.0014)


def test_a_missing_scenario_price_file_is_noted(app, write_run, run_a_rows):
    run = write_run("lost", *run_a_rows, prices="gone.json")
    result = invoke(app, run, "--json")
    assert result.exit_code == 0, result.output
    vc = json.loads(result.output)["runs"][0]
    assert "gone.json" in vc["notes"][0]
    assert vc["cost"]["unpriced_models"] == ["m-big", "m-small", "mystery-model"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", "--csv"], "not both"),
        (["--rate", "1", "--per-day", "5"], "not both"),
        (["--rate", "0"], "--rate must be above 0"),
        (["--variant", "nope"], "no variant 'nope'"),
        (["--prices", "/nonexistent/p.json"], "no such price file"),
    ],
)
def test_usage_errors_exit_2_with_a_message(app, runs, args, message):
    result = invoke(app, runs[0], *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_run_exits_2(app, tmp_path):
    result = invoke(app, tmp_path / "no-run")
    assert result.exit_code == 2
    assert "no such run" in result.output
