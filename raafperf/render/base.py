"""The renderer contract, the format registry and shared value formatting.

A renderer turns a report — a single run's ``RunReport`` or a ``Comparison`` — into the
text (or bytes) of one format. Renderers never import pandas or numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, Union

from raafperf.errors import UsageError

if TYPE_CHECKING:
    from raafperf.analysis.compare import Comparison
    from raafperf.analysis.run_report import RunReport

Report = Union["Comparison", "RunReport"]


class Renderer(Protocol):
    def render(self, report: Report) -> str | bytes: ...


_RENDERERS = {
    "table": ("raafperf.render.table", "TableRenderer"),
    "json": ("raafperf.render.json_report", "JsonRenderer"),
    "markdown": ("raafperf.render.markdown", "MarkdownRenderer"),
    "junit": ("raafperf.render.junit", "JUnitRenderer"),
    "html": ("raafperf.render.html", "HtmlRenderer"),
}
FORMATS = tuple(_RENDERERS)
EXTENSIONS = {"table": "txt", "json": "json", "markdown": "md", "junit": "xml", "html": "html"}


def renderer_for(fmt: str) -> Renderer:
    """The renderer of a format name (table, json, markdown, junit, html)."""
    try:
        module, cls = _RENDERERS[fmt]
    except KeyError:
        raise UsageError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})") from None
    return getattr(importlib.import_module(module), cls)()


VERDICT_WORDS = {
    "regression": "REGRESSION",
    "improvement": "IMPROVEMENT",
    "unchanged": "UNCHANGED",
    "inconclusive": "INCONCLUSIVE",
}


def fmt_value(value: float | None, unit: str) -> str:
    """A measured value with its unit, to a sensible precision."""
    if value is None:
        return "n/a"
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.2f} s"
    if unit == "req/s":
        return f"{value:,.2f} req/s"
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "USD":
        return f"${value:.6f}" if abs(value) < 0.01 else f"${value:,.4f}"
    return f"{value:g} {unit}".strip()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def overall_line(comparison: Comparison) -> str:
    """One sentence: the overall verdict and the count of each."""
    counts = {v: len(comparison.with_verdict(v)) for v in VERDICT_WORDS}  # type: ignore[arg-type]
    parts = [f"{counts[v]} {v}" for v in VERDICT_WORDS if counts[v]]
    return (
        f"{VERDICT_WORDS[comparison.verdict]}: {', '.join(parts)} of "
        f"{plural(len(comparison.metrics), 'metric')}"
    )


def method_line(comparison: Comparison) -> str:
    return (
        f"{comparison.confidence:.0%} percentile-bootstrap intervals of the ratio "
        f"({comparison.resamples:,} resamples, seed {comparison.seed}); error rate: "
        f"Newcombe interval of the difference in pp; quantiles are nearest-rank and need "
        f"≥ {comparison.min_tail} samples beyond them per side."
    )
