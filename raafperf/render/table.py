"""Rich tables for the terminal: a comparison's verdicts, or a run's per-variant figures."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from raafperf.render.base import VERDICT_WORDS, Report, fmt_value, method_line, overall_line

if TYPE_CHECKING:
    from rich.table import Table

    from raafperf.analysis.compare import Comparison
    from raafperf.analysis.run_report import RunReport

VERDICT_STYLES = {
    "regression": "bold red",
    "improvement": "green",
    "unchanged": "dim",
    "inconclusive": "yellow",
}


class TableRenderer:
    """``render`` gives plain text (for files); ``table`` the rich object for a console."""

    def __init__(self, width: int = 150) -> None:
        self.width = width

    def table(self, report: Report) -> Table:
        from raafperf.analysis.compare import Comparison

        if isinstance(report, Comparison):
            return self._comparison(report)
        return self._run(report)

    def render(self, report: Report) -> str:
        from rich.console import Console

        buf = io.StringIO()
        console = Console(file=buf, width=self.width, color_system=None, force_terminal=False)
        console.print(self.table(report))
        return buf.getvalue()

    def _comparison(self, c: Comparison) -> Table:
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=Text(
                f"compare {c.scenario} (variant {c.variant}): {c.baseline.run_id} → "
                f"{c.current.run_id}"
            ),
            caption=Text("\n".join([overall_line(c), method_line(c), *c.notes])),
            caption_justify="left",
        )
        for name, justify in (
            ("metric", "left"),
            ("baseline", "right"),
            ("current", "right"),
            ("change", "right"),
            (f"{c.confidence:.0%} CI", "right"),
            ("threshold", "right"),
            ("verdict", "left"),
            ("why", "left"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for m in c.metrics:
            table.add_row(
                *[
                    Text(x)
                    for x in (
                        m.label,
                        fmt_value(m.baseline, m.unit),
                        fmt_value(m.current, m.unit),
                        m.change_text(),
                        m.interval_text(),
                        str(m.threshold),
                    )
                ],
                Text(VERDICT_WORDS[m.verdict], style=VERDICT_STYLES[m.verdict]),
                Text(m.reason),
            )
        return table

    def _run(self, r: RunReport) -> Table:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(f"{r.info.scenario}: {r.info.run_id}"))
        table.add_column("figure")
        for v in r.variants:
            table.add_column(Text(v.name), justify="right")
        rows: list[tuple[str, Any]] = [
            ("requests (ok / measured)", lambda v: f"{v.ok:,} / {v.measured:,}"),
            ("error rate", lambda v: fmt_value(v.error_rate_pct, "%")),
            ("throughput", lambda v: fmt_value(v.throughput_rps, "req/s")),
        ]
        for fam, label in (("ttft_ms", "TTFT"), ("e2e_ms", "E2E"), ("itl_ms", "ITL")):
            for p in ("p50", "p95", "p99"):
                rows.append(
                    (
                        f"{label} {p}",
                        lambda v, fam=fam, p=p: fmt_value(getattr(v, fam).get(p), "ms"),
                    )
                )
        rows.append(("cost per request", lambda v: fmt_value(v.cost_per_request_usd, "USD")))
        for label, get in rows:
            table.add_row(label, *[get(v) for v in r.variants])
        return table
