"""JSON: the whole report as one document (``kind`` says which)."""

from __future__ import annotations

import json

from raafperf.render.base import Report


class JsonRenderer:
    def __init__(self, *, plots: bool = False) -> None:
        self.plots = plots

    def render(self, report: Report) -> str:
        from raafperf.analysis.compare import Comparison

        kind = "comparison" if isinstance(report, Comparison) else "run"
        doc = {"kind": kind, "schema_version": 1, **report.to_dict(plots=self.plots)}
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
