"""Markdown: GitHub-flavoured tables that a GFM parser reads back, and the step summary."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from raafperf.analysis.compare import Comparison, compare_runs
from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.render import render_comparison, render_run
from raafperf.render.markdown import cell, write_step_summary

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (a rich dependency)")

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2705\u274c]")


class Tables(HTMLParser):
    """Rows of cells of every table in a fragment of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def gfm(text: str) -> Tables:
    parser = Tables()
    parser.feed(markdown_it.MarkdownIt("gfm-like").render(text))
    return parser


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    root = tmp_path_factory.mktemp("md-runs")
    a = write_synthetic_run(root, n=1200, seed=1)
    b = write_synthetic_run(root, n=1200, seed=2, slowdown=1.3)
    return compare_runs(a, b, resamples=500, plots=False)


def test_comparison_renders_as_a_gfm_table(comparison: Comparison) -> None:
    text = render_comparison(comparison, "markdown")
    assert isinstance(text, str)
    parsed = gfm(text)
    assert len(parsed.tables) == 1
    header, *rows = parsed.tables[0]
    assert header == ["Metric", "Baseline", "Current", "Change", "95% CI", "Threshold", "Verdict"]
    assert len(rows) == len(comparison.metrics)
    assert all(len(r) == len(header) for r in rows)
    verdict_of = {r[0]: r[-1] for r in rows}
    assert verdict_of["TTFT p50"] == "REGRESSION"
    assert verdict_of["TTFT p99"] == "INCONCLUSIVE"
    assert "details" in parsed.tags  # the reasons fold away in the summary
    assert not EMOJI.search(text)
    assert text.startswith("## raafperf compare")


def test_run_renders_as_gfm_tables(tmp_path: Path) -> None:
    run = write_synthetic_run(
        tmp_path, n=300, seed=4, error_rate=0.05, variants={"pooled|fast": 0.8}
    )
    parsed = gfm(render_run(run, "markdown"))
    summary, errors = parsed.tables
    assert [r[0] for r in summary[1:]] == ["baseline", "pooled|fast"]  # the pipe survives
    assert all(len(r) == len(summary[0]) for r in summary)
    assert {r[1] for r in errors[1:]} <= {"http_429", "http_503", "timeout"}


def test_cell_escapes_what_breaks_a_table() -> None:
    parsed = gfm("| a | b |\n|---|---|\n| " + cell("x | y\nz") + " | 2 |\n")
    assert parsed.tables[0][1] == ["x | y z", "2"]


def test_step_summary_appends_only_when_set(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    assert write_step_summary("# one", env={}) is None
    assert write_step_summary("# one", env={"GITHUB_STEP_SUMMARY": str(target)}) == target
    write_step_summary("# two\n", env={"GITHUB_STEP_SUMMARY": str(target)})
    assert target.read_text() == "# one\n# two\n"
