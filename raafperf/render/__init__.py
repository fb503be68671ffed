"""Renderers: one module per output format, each a small class with ``render(report)``.

``render_run`` and ``render_comparison`` are the entry points other areas call; formats are
table, json, markdown, junit and html (see ``raafperf.render.base.FORMATS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from raafperf.analysis.compare import Comparison


def render_run(saved_run: Any, fmt: str) -> str | bytes:
    """A saved run (object, folder or summary.json path) rendered as ``fmt``."""
    from raafperf.analysis.run_report import build_run_report
    from raafperf.render.base import renderer_for

    renderer = renderer_for(fmt)
    return renderer.render(build_run_report(saved_run, plots=fmt == "html"))


def render_comparison(comparison: Comparison, fmt: str) -> str | bytes:
    from raafperf.render.base import renderer_for

    return renderer_for(fmt).render(comparison)
