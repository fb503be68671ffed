"""The trend of a scenario's main metrics as a rich table, and as JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from raafperf.history.store import TrendPoint

SPARK = "▁▂▃▄▅▆▇█"
MIN_SPAN = 0.2
CHANGE_MARK = 0.10
"""A change beyond ±10% against the previous run is coloured (worse red, better green)."""


@dataclass(frozen=True)
class Column:
    metric: str
    header: str
    higher_is_worse: bool
    scale: float = 1.0
    digits: int = 1
    suffix: str = ""


TREND_COLUMNS: tuple[Column, ...] = (
    Column("ttft_p50_ms", "TTFT p50 ms", True),
    Column("ttft_p95_ms", "TTFT p95 ms", True),
    Column("e2e_p95_ms", "E2E p95 ms", True),
    Column("requests_per_s", "req/s", False),
    Column("error_rate", "errors", True, scale=100.0, digits=2, suffix="%"),
    Column("cost_per_request_usd", "$/req", True, digits=6),
)


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, a gap (space) where a value is missing.

    The scale spans at least ``MIN_SPAN`` of the largest value around the middle of the
    range, so run-to-run noise of a percent stays flat instead of filling the whole scale.
    """
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    span = max(hi - lo, MIN_SPAN * max(abs(lo), abs(hi)))
    bottom = (lo + hi) / 2 - span / 2
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif span == 0:
            out.append(SPARK[len(SPARK) // 2])
        else:
            out.append(SPARK[round((v - bottom) / span * (len(SPARK) - 1))])
    return "".join(out)


def relative_change(previous: float | None, current: float | None) -> float | None:
    if previous is None or current is None or previous == 0:
        return None
    return current / previous - 1


def format_value(column: Column, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * column.scale:,.{column.digits}f}{column.suffix}"


def machine_label(point: TrendPoint) -> str:
    host = point.run.hostname or "?"
    cpu = point.run.cpu_model or ""
    return f"{host} · {cpu}" if cpu else host


def trend_table(points: Sequence[TrendPoint], *, title: str) -> Any:
    """Oldest run first; each figure coloured by its change against the run above it, and a
    sparkline of every column in the footer."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_footer=len(points) > 1, title_justify="left")
    table.add_column("started (UTC)", footer="trend")
    table.add_column("run")
    table.add_column("commit")
    table.add_column("machine")
    for col in TREND_COLUMNS:
        spark = sparkline([p.metrics.get(col.metric) for p in points])
        table.add_column(col.header, justify="right", footer=spark)
    table.add_column("thresholds", justify="center")
    previous: TrendPoint | None = None
    for point in points:
        cells: list[Any] = [
            _short_time(point.run.started_at),
            point.run.run_id + (" (interrupted)" if point.run.interrupted else ""),
            point.run.git_commit or "–",
            machine_label(point),
        ]
        for col in TREND_COLUMNS:
            value = point.metrics.get(col.metric)
            style = ""
            if previous is not None:
                change = relative_change(previous.metrics.get(col.metric), value)
                if change is not None and abs(change) > CHANGE_MARK:
                    worse = (change > 0) == col.higher_is_worse
                    style = "red" if worse else "green"
            cells.append(Text(format_value(col, value), style=style))
        cells.append(
            {True: Text("pass", style="green"), False: Text("FAIL", style="red"), None: Text("–")}[
                point.thresholds_passed
            ]
        )
        table.add_row(*cells)
        previous = point
    return table


def trend_json(scenario: str, variant: str, db: str, points: Sequence[TrendPoint]) -> dict:
    return {
        "scenario": scenario,
        "variant": variant,
        "store": db,
        "metrics_units": {
            "ttft_p50_ms": "ms",
            "ttft_p95_ms": "ms",
            "ttft_p99_ms": "ms",
            "e2e_p50_ms": "ms",
            "e2e_p95_ms": "ms",
            "e2e_p99_ms": "ms",
            "requests_per_s": "1/s",
            "error_rate": "fraction",
            "cost_per_request_usd": "USD",
        },
        "runs": [p.to_dict() for p in points],
    }


def scenarios_table(rows: Sequence[dict[str, Any]], *, title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for header in ("scenario", "runs", "machines", "first run", "last run"):
        table.add_column(header, justify="right" if header in ("runs", "machines") else "left")
    for r in rows:
        table.add_row(
            r["scenario"],
            str(r["runs"]),
            str(r["machines"]),
            _short_time(r["first"]),
            _short_time(r["last"]),
        )
    return table


def _short_time(iso: str | None) -> str:
    if not iso:
        return "–"
    return iso.replace("T", " ")[:19]
