"""JSON and table output, the format registry, and the SVG primitives."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from raafperf.analysis.compare import Comparison, compare_runs
from raafperf.analysis.run_report import build_run_report
from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.errors import UsageError
from raafperf.render import render_comparison, render_run, svg
from raafperf.render.base import FORMATS, fmt_value, renderer_for


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("format-runs")
    return {
        "a": write_synthetic_run(root, n=400, seed=1, variants={"pooled": 0.8}),
        "b": write_synthetic_run(root, n=400, seed=2, slowdown=1.3),
    }


@pytest.fixture(scope="module")
def comparison(runs: dict[str, Path]) -> Comparison:
    return compare_runs(runs["a"], runs["b"], resamples=300)


def _strict_json(text: str) -> dict:
    def no_nan(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=no_nan)


def test_comparison_json(comparison: Comparison) -> None:
    doc = _strict_json(str(render_comparison(comparison, "json")))
    assert doc["kind"] == "comparison" and doc["verdict"] == comparison.verdict
    p99 = next(m for m in doc["metrics"] if m["name"] == "p99_ttft")
    assert p99["verdict"] == "inconclusive" and p99["low"] is None
    p50 = next(m for m in doc["metrics"] if m["name"] == "p50_e2e")
    assert p50["change"]["unit"] == "%" and p50["change"]["estimate"] > 20
    assert p50["threshold"] == {"value": "10%", "source": "default"}


def test_run_json_and_report(runs: dict[str, Path]) -> None:
    doc = _strict_json(str(render_run(runs["a"], "json")))
    assert doc["kind"] == "run"
    assert [v["name"] for v in doc["variants"]] == ["baseline", "pooled"]
    report = build_run_report(runs["a"])
    base = report.variants[0]
    assert base.measured == 400 and base.ok == 400
    assert base.e2e_ms["p50"] is not None and base.throughput_rps > 0
    cost = report.plots["cost"]
    assert {(r["variant"], r["agent"]) for r in cost} >= {
        ("baseline", "triage"),
        ("pooled", "writer"),
    }
    assert sum(r["calls"] for r in cost if r["variant"] == "baseline") == 400


def test_table_text(comparison: Comparison, runs: dict[str, Path]) -> None:
    text = str(render_comparison(comparison, "table"))
    assert "REGRESSION" in text and "TTFT p50" in text and "(variant baseline)" in text
    assert "\x1b[" not in text  # plain text for files
    run_text = str(render_run(runs["a"], "table"))
    assert "pooled" in run_text and "E2E p95" in run_text


def test_every_format_renders_both_kinds(comparison: Comparison, runs) -> None:
    for fmt in FORMATS:
        assert render_comparison(comparison, fmt)
        assert render_run(runs["b"], fmt)
    with pytest.raises(UsageError, match="unknown format"):
        renderer_for("pdf")


def test_lead_dispatch_reaches_the_renderers(runs: dict[str, Path]) -> None:
    from raafperf.record.store import load_run
    from raafperf.render.run_formats import render_run_format

    html = render_run_format(load_run(runs["a"]), "html")
    assert 'id="plot-cost"' in str(html)


def test_fmt_value() -> None:
    assert fmt_value(212.34, "ms") == "212.3 ms"
    assert fmt_value(12_500, "ms") == "12.50 s"
    assert fmt_value(0.000284, "USD") == "$0.000284"
    assert fmt_value(None, "ms") == "n/a"


@pytest.mark.parametrize(("lo", "hi"), [(0, 1), (0, 7.3), (113, 987), (0.001, 0.0042), (5, 5)])
def test_nice_ticks_cover_the_range(lo: float, hi: float) -> None:
    ticks = svg.nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 12
    assert ticks == sorted(ticks)
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1


def test_svg_escapes_and_marks_series() -> None:
    chart = svg.line_chart(
        "<t>", [svg.Series("a&b", [(0, 1), (1, None), (2, 3), (3, 4)])], x_label="x", y_label="y"
    )
    assert "&lt;t&gt;" in chart and 'data-series="a&amp;b"' in chart
    assert chart.count("<polyline") == 1 and chart.count("<circle") == 1  # None breaks it
    assert 'class="chart empty"' in svg.line_chart("t", [], x_label="x", y_label="y")
    bars = svg.bar_chart(
        "t", ["c1", "c2"], [("s1", [1, 2]), ("s2", [3, None])], y_label="n", stacked=True
    )
    assert bars.count("<rect x=") == 3 + 2  # three bars plus two legend swatches
