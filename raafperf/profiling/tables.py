"""Rich tables of a profile: CPU hot spots, memory sites, per-request memory, overhead."""

from __future__ import annotations

from typing import Any

from raafperf.profiling.hotspots import CpuHotspots
from raafperf.profiling.memory import MemoryReport

_TEXT = ("function", "site", "file:line", "metric", "variant", "figure", "value")


def cpu_tables(variant: str, hot: CpuHotspots, top: int, own_package: str) -> list[Any]:
    busy = hot.busy_s or 1e-12
    header = (
        f"CPU profile, {variant}: {hot.samples:,} samples over {hot.duration_s:.2f} s; "
        f"process CPU {hot.cpu_s:.2f} s; sampled busy {hot.busy_s:.2f} s, "
        f"idle {hot.idle_s:.2f} s (shares are of busy time; bold = {own_package})"
    )
    own = _table(
        f"{header}\nTop functions by own time",
        ("function", "own ms", "own %", "total ms", "file:line"),
    )
    for f in hot.by_own(top):
        own.add_row(
            _text(f.qualname or f.name, f.package == own_package),
            f"{f.own_s * 1e3:.1f}",
            f"{f.own_s / busy:.1%}",
            f"{f.total_s * 1e3:.1f}",
            _text(f.location),
        )
    total = _table(
        f"{own_package} functions by total time (own + callees, not awaiting)",
        ("function", "total ms", "total %", "own ms", "file:line"),
    )
    for f in hot.by_total(top, own_package):
        total.add_row(
            _text(f.qualname or f.name),
            f"{f.total_s * 1e3:.1f}",
            f"{f.total_s / busy:.1%}",
            f"{f.own_s * 1e3:.1f}",
            _text(f.location),
        )
    if not total.row_count:
        total.add_row(_text(f"(no {own_package} frame was sampled)"), "", "", "", "")
    return [own, total]


def memory_tables(
    variant: str, rep: MemoryReport, own_package: str, object_level: bool = True
) -> list[Any]:
    head = _table(f"Memory profile, {variant}", ("figure", "value"))
    head.add_row("peak memory (allocated while tracking; high-water mark)", _bytes(rep.peak_bytes))
    if rep.rss_start_bytes is not None and rep.rss_peak_bytes is not None:
        head.add_row(
            "resident set size: start → peak",
            f"{_bytes(rep.rss_start_bytes)} → {_bytes(rep.rss_peak_bytes)}",
        )
    head.add_row(
        "allocated over the pass / allocations",
        f"{_bytes(rep.total_allocated_bytes)} / {rep.allocations:,}",
    )
    pr = rep.per_request
    if pr.get("bytes_per_request_in_flight") is not None:
        value = _bytes(pr["bytes_per_request_in_flight"])
        fitted = pr["method"] == "regression"
        if fitted and pr.get("stderr_bytes") is not None:
            value += f" ± {_bytes(pr['stderr_bytes'])}"
        r2 = f", R² {pr['r2']:.2f}" if fitted and pr.get("r2") is not None else ""
        why = "" if fitted or pr.get("r2") is None else ", the fit was too noisy"
        head.add_row(f"memory per request in flight ({pr['method']}{r2}{why})", value)
        if pr.get("bytes_retained_per_completed_request") is not None:
            head.add_row(
                "retained per completed request (caches, records)",
                _bytes(pr["bytes_retained_per_completed_request"]),
            )
        if fitted and pr.get("naive_bytes_per_request_in_flight") is not None:
            head.add_row(
                f"naive: (peak − start) / peak in flight ({pr['peak_in_flight']})",
                _bytes(pr["naive_bytes_per_request_in_flight"]),
            )
    if not object_level:
        head.caption = (
            "memray saw pymalloc's arenas, not single objects: sites of small objects and the "
            "per-request figures are coarse (--trace-python-allocators tracks objects)"
        )
    peak = _table(
        "Top allocation sites at the peak (memory held at the high-water mark)",
        ("site", "memory", "share", "allocs", "file:line", f"via {own_package}"),
    )
    for s in rep.top_at_peak:
        share = s.bytes / rep.peak_bytes if rep.peak_bytes else 0.0
        peak.add_row(
            _text(s.function, s.via != "" and s.via == s.name),
            _bytes(s.bytes),
            f"{share:.1%}",
            f"{s.allocations:,}",
            _text(s.location),
            _text(s.via.rsplit(":", 1)[-1] if s.via != s.name else ""),
        )
    churn = _table(
        "Top allocation sites by bytes allocated over the pass", ("site", "allocated", "file:line")
    )
    for s in rep.top_allocated:
        churn.add_row(_text(s.function), _bytes(s.bytes), _text(s.location))
    return [head, peak, churn]


def overhead_table(kind: str, overhead: dict[str, Any], reference_run: str) -> Any:
    table = _table(
        f"Overhead of the {kind} profiler (against the unprofiled pass {reference_run})",
        ("variant", "metric", "unprofiled", "profiled", "ratio"),
    )
    for variant, rows in overhead.items():
        for metric, row in rows.items():
            table.add_row(
                _text(variant),
                metric,
                _num(row["reference"]),
                _num(row["profiled"]),
                f"×{row['ratio']:.2f}" if row["ratio"] is not None else "—",
            )
    table.caption = (
        "Read client CPU per request: the profiler's cost on this workload "
        "(within ±10% is noise on a busy machine). e2e includes the provider's "
        "latency, which no profiler slows."
    )
    return table


def _table(title: str, columns: tuple[str, ...]) -> Any:
    from rich.table import Table

    table = Table(title=_text(title), title_justify="left", caption_justify="left")
    for col in columns:
        text = col in _TEXT or col.startswith("via")
        table.add_column(
            col,
            justify="left" if text and col != "value" else "right",
            overflow="fold" if text else "ellipsis",
            no_wrap=not text,
        )
    return table


def _text(value: str, bold: bool = False) -> Any:
    from rich.text import Text

    return Text(value, style="bold" if bold else "")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _bytes(n: float) -> str:
    sign = "-" if n < 0 else ""
    n = abs(float(n))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{sign}{n:.0f} {unit}" if unit == "B" else f"{sign}{n:.1f} {unit}"
        n /= 1024
    return f"{sign}{n:.1f} GiB"
