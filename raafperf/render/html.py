"""A self-contained HTML report: tables plus inline-SVG plots, no script, no network.

Each plot sits in ``<section class="plot" id="plot-…">`` holding one or more
``<svg class="chart">``; ids: plot-change-intervals (comparisons), plot-latency-hist,
plot-latency-cdf, plot-latency-time, plot-throughput-time, plot-errors-time, and for a run
plot-cost and plot-variants.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from raafperf.render import svg
from raafperf.render.base import VERDICT_WORDS, Report, fmt_value, method_line, overall_line

if TYPE_CHECKING:
    from raafperf.analysis.compare import Comparison
    from raafperf.analysis.run_report import RunReport

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
max-width:1240px;padding:0 16px;color:#1f2328;background:#fff}
.scroll{overflow-x:auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #d0d7de;
text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
td.why{text-align:left;white-space:normal;color:#57606a;max-width:380px}
.verdict{font-weight:600}.regression{color:#d1242f}.improvement{color:#1a7f37}
.unchanged{color:#57606a}.inconclusive{color:#9a6700}
.banner{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;
background:#f6f8fa;border:1px solid #d0d7de}
#verdicts th:last-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
svg.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;max-width:100%;height:auto}
svg .grid{stroke:#eaeef2}svg .axis{stroke:#57606a}svg .zero{stroke:#1f2328;stroke-dasharray:3 3}
svg .band{fill:#eaeef2}svg text{font:11px system-ui,sans-serif;fill:#1f2328}
svg .title{font-size:13px;font-weight:600}svg .label{fill:#57606a}svg .empty{fill:#57606a}
.caption{color:#57606a;margin:4px 0 0}
"""


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def _section(plot_id: str, title: str, charts: list[str], caption: str = "") -> str:
    cap = f'<p class="caption">{escape(caption)}</p>' if caption else ""
    return (
        f'<section class="plot" id="{plot_id}"><h2>{escape(title)}</h2>'
        f'<div class="charts">{"".join(charts)}</div>{cap}</section>'
    )


def _table(header: list[str], rows: list[list[str]], table_id: str = "") -> str:
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in row) + "</tr>" for row in rows)
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _td(text: object, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{escape(str(text))}</td>"


def _hist_series(name: str, hist: dict[str, Any], color: str | None) -> svg.Series:
    edges, fr = hist["edges"], hist["fractions"]
    points = [(edges[i], fr[i] * 100) for i in range(len(fr))]
    if fr:
        points.append((edges[-1], fr[-1] * 100))
    return svg.Series(name, points, color)


def _cdf_series(name: str, cdf: list[list[float]], color: str | None) -> svg.Series:
    return svg.Series(name, [(v, f * 100) for v, f in cdf], color)


def _time_charts(times: dict[str, dict[str, Any]]) -> tuple[str, str, list[str]]:
    """Latency-over-time and throughput-over-time charts, and one error chart per side."""
    lat, rps, legend = [], [], []
    for i, (name, ts) in enumerate(times.items()):
        color = svg.PALETTE[i % len(svg.PALETTE)]
        legend.append((name, color))
        lat.append(svg.Series(f"{name} p50", list(zip(ts["t"], ts["e2e_p50"], strict=True)), color))
        lat.append(
            svg.Series(
                f"{name} p95", list(zip(ts["t"], ts["e2e_p95"], strict=True)), color, dashed=True
            )
        )
        rps.append(svg.Series(name, list(zip(ts["t"], ts["rps"], strict=True)), color))
    latency = svg.line_chart(
        "E2E latency over time (solid p50, dashed p95)",
        lat,
        x_label="time (s)",
        y_label="ms",
        legend=legend,
    )
    throughput = svg.line_chart(
        "Throughput over time", rps, x_label="time (s)", y_label="completed req/s"
    )
    errors = []
    for name, ts in times.items():
        if not ts["errors"]:
            continue
        labels = [f"{t:.0f}s" for t in ts["t"]]
        errors.append(
            svg.bar_chart(
                f"Errors over time: {name}",
                labels,
                list(ts["errors"].items()),
                y_label="errors per bucket",
                stacked=True,
                x_label="time",
            )
        )
    if not errors:
        errors.append(svg.empty_chart("Errors over time", "no errors"))
    return latency, throughput, errors


class HtmlRenderer:
    def render(self, report: Report) -> str:
        from raafperf.analysis.compare import Comparison

        if isinstance(report, Comparison):
            return self._comparison(report)
        return self._run(report)

    def _comparison(self, c: Comparison) -> str:
        body = [
            f"<h1>raafperf compare: {escape(c.scenario)} "
            f"<small>(variant {escape(c.variant)})</small></h1>",
            f'<p class="meta">baseline {escape(c.baseline.run_id)} '
            f"({escape(c.baseline.started_at or '')}) → current {escape(c.current.run_id)} "
            f"({escape(c.current.started_at or '')})</p>",
            f'<p class="banner {c.verdict}" id="overall">{escape(overall_line(c))}</p>',
        ]
        body += [f'<p class="meta">{escape(n)}</p>' for n in c.notes]
        rows = [
            [
                _td(m.label),
                _td(fmt_value(m.baseline, m.unit)),
                _td(fmt_value(m.current, m.unit)),
                _td(m.change_text()),
                _td(m.interval_text()),
                _td(str(m.threshold)),
                _td(VERDICT_WORDS[m.verdict], f"verdict {m.verdict}"),
                _td(m.reason, "why"),
            ]
            for m in c.metrics
        ]
        body.append(
            _table(
                [
                    "metric",
                    "baseline",
                    "current",
                    "change",
                    f"{c.confidence:.0%} CI",
                    "threshold",
                    "verdict",
                    "why",
                ],
                rows,
                "verdicts",
            )
        )
        body.append(f'<p class="caption">{escape(method_line(c))}</p>')
        interval_rows = []
        for m in c.metrics:
            est, lo, hi = m.change()
            scale = 1.0 if m.change_kind == "pp" else 100.0
            interval_rows.append((m.label, est, lo, hi, m.threshold.value * scale, m.verdict))
        body.append(
            _section(
                "plot-change-intervals",
                "Change and its interval, per metric",
                [
                    svg.interval_chart(
                        "Change (% or pp) with the ±threshold band",
                        [r for r in interval_rows if r[0] != "Error rate"],
                        x_label="change (%)",
                    ),
                    svg.interval_chart(
                        "Error rate change",
                        [r for r in interval_rows if r[0] == "Error rate"],
                        x_label="change (pp)",
                    ),
                ],
                "Dot: the change; bar: its interval; grey band: ±threshold. A regression's bar "
                "lies wholly right of 0 with the dot beyond the band (left for throughput).",
            )
        )
        plots = c.plots or {}
        colors = {"baseline": svg.PALETTE[0], "current": svg.PALETTE[1]}
        names = {"ttft": "TTFT", "e2e": "E2E", "itl": "ITL"}
        hist = [
            svg.line_chart(
                f"{names[f]} distribution",
                [_hist_series(side, h, colors[side]) for side, h in sides.items()],
                x_label="ms",
                y_label="% of samples",
                step=True,
            )
            for f, sides in (plots.get("hist") or {}).items()
        ]
        cdf = [
            svg.line_chart(
                f"{names[f]} CDF",
                [_cdf_series(side, pts, colors[side]) for side, pts in sides.items()],
                x_label="ms",
                y_label="% at or below",
                y_max=100,
            )
            for f, sides in (plots.get("cdf") or {}).items()
        ]
        body.append(
            _section(
                "plot-latency-hist",
                "Latency distributions",
                hist,
                "Clipped at the pooled p99.5; the last bin holds the rest.",
            )
        )
        body.append(_section("plot-latency-cdf", "Latency CDFs", cdf))
        latency, throughput, errors = _time_charts(plots.get("time") or {})
        body.append(_section("plot-latency-time", "Latency over time", [latency]))
        body.append(_section("plot-throughput-time", "Throughput over time", [throughput]))
        body.append(_section("plot-errors-time", "Errors over time", errors))
        return _page(f"raafperf compare {c.scenario}", body)

    def _run(self, r: RunReport) -> str:
        info = r.info
        body = [
            f"<h1>raafperf run: {escape(info.scenario)}</h1>",
            f'<p class="meta">{escape(info.run_id)} · {escape(info.started_at or "")}'
            f"{' · interrupted' if info.interrupted else ''}</p>",
        ]
        rows = []
        for v in r.variants:
            rows.append(
                [
                    _td(v.name),
                    _td(f"{v.ok:,} / {v.measured:,}"),
                    _td(fmt_value(v.error_rate_pct, "%")),
                    _td(fmt_value(v.throughput_rps, "req/s")),
                    *[
                        _td(fmt_value(getattr(v, fam).get(p), "ms"))
                        for fam in ("ttft_ms", "e2e_ms", "itl_ms")
                        for p in ("p50", "p95", "p99")
                    ],
                    _td(fmt_value(v.cost_per_request_usd, "USD")),
                ]
            )
        body.append(
            _table(
                [
                    "variant",
                    "ok / measured",
                    "error rate",
                    "throughput",
                    "TTFT p50",
                    "TTFT p95",
                    "TTFT p99",
                    "E2E p50",
                    "E2E p95",
                    "E2E p99",
                    "ITL p50",
                    "ITL p95",
                    "ITL p99",
                    "cost / request",
                ],
                rows,
                "summary",
            )
        )
        checks = [
            [
                _td(v.name),
                _td(t.get("name", "")),
                _td(t.get("limit", "")),
                _td(t.get("value", "")),
                _td(
                    "PASS" if t.get("passed") else "FAIL",
                    "verdict " + ("unchanged" if t.get("passed") else "regression"),
                ),
            ]
            for v in r.variants
            for t in v.thresholds
        ]
        if checks:
            body.append(
                _table(["variant", "threshold", "limit", "value", "result"], checks, "thresholds")
            )
        plots = r.plots or {}
        lat = plots.get("latency") or {}
        names = {"ttft": "TTFT", "e2e": "E2E"}
        hist = [
            svg.line_chart(
                f"{names[f]} distribution",
                [_hist_series(v, d["hist"], None) for v, d in per.items()],
                x_label="ms",
                y_label="% of requests",
                step=True,
            )
            for f, per in lat.items()
        ]
        cdf = [
            svg.line_chart(
                f"{names[f]} CDF",
                [_cdf_series(v, d["cdf"], None) for v, d in per.items()],
                x_label="ms",
                y_label="% at or below",
                y_max=100,
            )
            for f, per in lat.items()
        ]
        body.append(
            _section(
                "plot-latency-hist",
                "Latency distribution",
                hist,
                "Clipped at the p99.5 over all variants; the last bin holds the rest.",
            )
        )
        body.append(_section("plot-latency-cdf", "Latency CDF", cdf))
        latency, throughput, errors = _time_charts(plots.get("time") or {})
        body.append(_section("plot-latency-time", "Latency over time", [latency]))
        body.append(_section("plot-throughput-time", "Throughput over time", [throughput]))
        body.append(_section("plot-errors-time", "Errors over time", errors))
        body.append(_section("plot-cost", "Cost by agent and model", [_cost_chart(plots)]))
        body.append(_section("plot-variants", "Variants side by side", _variant_charts(plots)))
        return _page(f"raafperf run {info.scenario}", body)


def _cost_chart(plots: dict[str, Any]) -> str:
    rows = plots.get("cost") or []
    if not rows:
        return svg.empty_chart("Cost by agent and model", "no priced calls")
    cats = sorted({f"{r['agent']} · {r['model']}" for r in rows})
    # Variant order (and so colour) as in every other chart.
    order = list(plots.get("variants") or {})
    variants = sorted(
        {r["variant"] for r in rows}, key=lambda v: order.index(v) if v in order else len(order)
    )
    table = {(r["variant"], f"{r['agent']} · {r['model']}"): r["cost_usd"] for r in rows}
    series = [(v, [table.get((v, cat)) for cat in cats]) for v in variants]
    return svg.bar_chart("Cost by agent and model (USD)", cats, series, y_label="USD")


def _variant_charts(plots: dict[str, Any]) -> list[str]:
    per = plots.get("variants") or {}
    if not per:
        return [svg.empty_chart("Variants side by side")]
    cats = [f"{fam.upper()} {p}" for fam in ("ttft", "e2e") for p in ("p50", "p95", "p99")]
    series = [
        (name, [v[fam][p] for fam in ("ttft", "e2e") for p in ("p50", "p95", "p99")])
        for name, v in per.items()
    ]
    latency = svg.bar_chart("Latency percentiles by variant", cats, series, y_label="ms")
    tput = svg.bar_chart(
        "Throughput by variant",
        list(per),
        [("throughput", [v["throughput_rps"] for v in per.values()])],
        y_label="req/s",
    )
    return [latency, tput]
