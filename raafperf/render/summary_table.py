"""The summary a bench run prints: latency percentiles, throughput, errors, and the areas.

With variants, the figures stand side by side with the change against the baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

METRICS = (("ttft", "TTFT"), ("itl", "ITL"), ("tpot", "TPOT"), ("e2e", "E2E"))
STATS = ("count", "mean", "min", "p50", "p90", "p95", "p99", "max", "stddev")


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def print_summary(
    summary: dict[str, Any], run_dir: Path | None = None, console: Any = None
) -> None:
    if console is None:
        from raafperf.render.console import make_console

        console = make_console()
    variants = summary["variants"]
    title = f"raafperf · {summary['scenario']['name']}"
    if summary.get("interrupted"):
        title += " · INTERRUPTED (partial)"
    for name, v in variants.items():
        console.print(_latency_table(v, f"{title} · {name}" if len(variants) > 1 else title))
        console.print(_run_line(v))
        for warning in v.get("generator", {}).get("warnings", []):
            console.print(f"[yellow]generator:[/] {warning}")
    if len(variants) > 1:
        console.print(_variants_table(variants))
    _print_sections(console, variants)
    for name, v in variants.items():
        for t in v.get("thresholds", []):
            mark = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[yellow]n/a[/]"}[
                t["passed"]
            ]
            gate = "" if v.get("gated", True) else " (not gated)"
            console.print(
                f"threshold {t['name']} ≤/≥ {t['limit']}: measured "
                f"{_fmt(t['value'], 3)} {mark}{gate}" + (f" [{name}]" if len(variants) > 1 else "")
            )
    console.print(
        "Percentiles are nearest-rank (observed values, no interpolation). "
        "TTFT and E2E from the socket send (closed loop, client overhead left out) or the "
        "intended start (open loop); TPOT = (E2E − TTFT)/(tokens − 1).",
        style="dim",
    )
    if run_dir is not None:
        console.print(f"saved: {run_dir}", style="dim")


def _latency_table(v: dict[str, Any], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("latency (ms)")
    for stat in STATS:
        table.add_column(stat, justify="right")
    for key, label in METRICS:
        s = v["latency_ms"][key]
        table.add_row(label, *(_fmt(s.get(stat), 0 if stat == "count" else 1) for stat in STATS))
    return table


def _run_line(v: dict[str, Any]) -> str:
    r, t, e = v["requests"], v["throughput"], v["errors"]
    line = (
        f"requests {r['measured']:,} (ok {r['ok']:,}, errors {r['errors']:,}, warm-up "
        f"{r['warmup']:,}) in {v['duration_s']:.2f} s · {t['requests_per_s']:.1f} req/s · "
        f"{t['output_tokens_per_s']:,.0f} output tok/s · goodput {t['goodput_rps']:.1f} req/s"
        f" · concurrency {v['concurrency']['achieved']:.1f}"
    )
    if e["by_kind"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(e["by_kind"].items()))
        line += f"\nerrors {e['rate']:.1%}: {kinds}"
    cpu = v.get("client", {})
    if cpu.get("cpu_s") is not None:
        line += f" · client CPU {cpu['cpu_s']:.2f} s"
    lag = v.get("scheduler_lag_ms", {})
    if v.get("load", {}).get("mode") == "open" and lag.get("count"):
        line += (
            f"\nscheduler lag (open loop): p50 {_fmt(lag['p50'], 2)} ms, p99 "
            f"{_fmt(lag['p99'], 2)} ms, max {_fmt(lag['max'], 2)} ms"
        )
    return line


def _variants_table(variants: dict[str, Any]) -> Any:
    from rich.table import Table

    names = list(variants)
    base = variants[names[0]]
    table = Table(
        title="variants side by side (change against " + names[0] + ")", title_justify="left"
    )
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    rows: list[tuple[str, Any]] = [
        ("TTFT mean ms", lambda v: v["latency_ms"]["ttft"]["mean"]),
        ("TTFT p95 ms", lambda v: v["latency_ms"]["ttft"]["p95"]),
        ("E2E mean ms", lambda v: v["latency_ms"]["e2e"]["mean"]),
        ("E2E p50 ms", lambda v: v["latency_ms"]["e2e"]["p50"]),
        ("E2E p95 ms", lambda v: v["latency_ms"]["e2e"]["p95"]),
        ("E2E p99 ms", lambda v: v["latency_ms"]["e2e"]["p99"]),
        ("ITL p50 ms", lambda v: v["latency_ms"]["itl"]["p50"]),
        ("req/s", lambda v: v["throughput"]["requests_per_s"]),
        ("error rate %", lambda v: v["errors"]["rate"] * 100),
        ("client CPU s", lambda v: v["client"]["cpu_s"]),
        ("client CPU ms/req", lambda v: v["client"]["cpu_per_request_ms"]),
        ("connections opened", _connections),
        ("cache hit rate %", _hit_rate),
        ("cost USD", lambda v: (v.get("cost") or {}).get("total_usd")),
    ]
    for label, getter in rows:
        values = [_safe(getter, variants[n]) for n in names]
        if all(x is None for x in values):
            continue
        cells = []
        for i, x in enumerate(values):
            cell = _fmt(x, 2)
            if i > 0 and x is not None and values[0] not in (None, 0):
                change = (x - values[0]) / abs(values[0])
                cell += f" ({change:+.0%}, {x - values[0]:+,.2f})"
            cells.append(cell)
        table.add_row(label, *cells)
    del base
    return table


def _safe(getter: Any, v: dict[str, Any]) -> Any:
    try:
        return getter(v)
    except (KeyError, TypeError):
        return None


def _connections(v: dict[str, Any]) -> Any:
    pool = v.get("pool")
    if not isinstance(pool, dict):
        return None
    total = 0
    for stats in pool.values():
        if isinstance(stats, dict) and "connections_opened" in stats:
            total += stats["connections_opened"]
        else:
            return None
    return total


def _hit_rate(v: dict[str, Any]) -> Any:
    cache = v.get("cache") or {}
    rate = cache.get("hit_rate")
    return rate * 100 if rate is not None else None


def _print_sections(console: Any, variants: dict[str, Any]) -> None:
    """Short lines for the areas' sections; their full detail is in summary.json."""
    for name, v in variants.items():
        from rich.markup import escape

        prefix = escape(f"[{name}] ") if len(variants) > 1 else ""
        pool = v.get("pool")
        if isinstance(pool, dict):
            for provider, s in pool.items():
                if isinstance(s, dict) and "connections_opened" in s:
                    console.print(
                        f"{prefix}pool {provider}: {s['connections_opened']} connections, "
                        f"{_fmt(s.get('requests_per_connection'), 1)} requests/connection, "
                        f"connect {_fmt(s.get('connect_ms_total'), 1)} ms total"
                    )
        _print_router(console, prefix, v.get("router"))
        cache = v.get("cache")
        if isinstance(cache, dict) and cache.get("enabled", cache.get("strategy") != "never"):
            console.print(
                f"{prefix}cache: hits {cache.get('hits', 0)}, misses {cache.get('misses', 0)},"
                f" hit rate {_fmt((cache.get('hit_rate') or 0) * 100, 1)}%"
            )
        cost = v.get("cost")
        if isinstance(cost, dict) and cost.get("total_usd") is not None:
            per_request = cost.get("per_request_usd")
            if isinstance(per_request, dict):
                per_request = per_request.get("mean")
            console.print(
                f"{prefix}cost: ${cost['total_usd']:.4f} total, "
                f"${(per_request or 0):.6f} per request, "
                f"${(cost.get('per_1k_requests_usd') or 0):.4f} per 1,000 requests"
            )
        gc = v.get("gc")
        if isinstance(gc, dict) and isinstance(gc.get("collections"), dict):
            c = gc["collections"]
            pause = gc.get("pause_ms") or {}
            during = gc.get("during_requests") or {}
            console.print(
                f"{prefix}gc ({gc.get('mode', 'default')}): {c.get('total', 0)} collections "
                f"(gen0 {c.get('gen0', 0)}, gen1 {c.get('gen1', 0)}, gen2 {c.get('gen2', 0)}), "
                f"pauses {_fmt(pause.get('total'), 2)} ms total, max {_fmt(pause.get('max'), 2)}"
                f" ms; {_fmt((during.get('requests_affected_share') or 0) * 100, 1)}% of "
                "requests overlapped a pause"
            )


def _print_router(console: Any, prefix: str, router: Any) -> None:
    if not isinstance(router, dict) or len(router.get("providers") or {}) < 2:
        return
    parts = []
    for provider, p in router["providers"].items():
        breaker = p.get("breaker") or {}
        opened = f", breaker opened {breaker['opens']}×" if breaker.get("opens") else ""
        parts.append(
            f"{provider} {p.get('share', 0):.0%} ({p.get('requests', 0)} calls, "
            f"{(p.get('errors') or {}).get('total', 0)} errors{opened})"
        )
    fallbacks = (router.get("fallbacks") or {}).get("total", 0)
    console.print(
        f"{prefix}router {router.get('strategy')}: "
        + "; ".join(parts)
        + f"; fallbacks {fallbacks}, fail-fast {router.get('fail_fast', 0)}"
    )
    for event in router.get("timeline") or []:
        if event.get("from") == event.get("to"):
            continue  # a failed health check keeps a provider open: not a change
        console.print(
            f"{prefix}  t={event['t_s']:7.2f} s  {event['provider']}: "
            f"{event['from']} → {event['to']} ({event.get('reason', '')})"
        )
