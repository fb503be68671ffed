"""Small inline-SVG charts (lines, steps, grouped and stacked bars, interval plots).

Hand-written SVG keeps the HTML report self-contained, readable offline, script-free and
small (a few KB a chart), where an inlined chart library would add 100+ KB of JavaScript.
Every drawn series carries ``class="series"`` and ``data-series`` so tests can find it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#57606a", "#0e8a16")
WIDTH, HEIGHT = 560, 300
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 64, 16, 48, 46


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[float, float | None]]
    color: str | None = None
    dashed: bool = False


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        if t >= lo - step * 1e-9:
            ticks.append(round(t, 12))
        t += step
    return ticks


def fmt_tick(value: float) -> str:
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:g}M"
    if a >= 1e3:
        return f"{value / 1e3:g}k"
    if a >= 1 or a == 0:
        return f"{value:g}"
    return f"{value:.3g}"


class _Frame:
    """Maps data to pixels and draws axes, grid, labels and the legend."""

    def __init__(
        self,
        title: str,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        x_label: str,
        y_label: str,
        width: int = WIDTH,
        height: int = HEIGHT,
        margin_l: int = MARGIN_L,
    ) -> None:
        self.ml = margin_l
        self.w, self.h = width, height
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.parts: list[str] = []

    def px(self, x: float) -> float:
        span = self.w - self.ml - MARGIN_R
        return self.ml + (x - self.x0) / (self.x1 - self.x0) * span

    def py(self, y: float) -> float:
        span = self.h - MARGIN_T - MARGIN_B
        return self.h - MARGIN_B - (y - self.y0) / (self.y1 - self.y0) * span

    def axes(
        self,
        x_ticks: list[float] | None = None,
        y_ticks: list[float] | None = None,
        x_tick_labels: list[str] | None = None,
    ) -> None:
        p = self.parts
        for t in nice_ticks(self.y0, self.y1) if y_ticks is None else y_ticks:
            y = self.py(t)
            p.append(
                f'<line class="grid" x1="{self.ml}" x2="{self.w - MARGIN_R}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
            )
            p.append(
                f'<text class="tick" x="{self.ml - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{fmt_tick(t)}</text>'
            )
        ticks = x_ticks if x_ticks is not None else nice_ticks(self.x0, self.x1, 6)
        for i, t in enumerate(ticks):
            x = self.px(t)
            label = x_tick_labels[i] if x_tick_labels else fmt_tick(t)
            p.append(
                f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{self.h - MARGIN_B}" '
                f'y2="{self.h - MARGIN_B + 4}"/>'
            )
            p.append(
                f'<text class="tick" x="{x:.1f}" y="{self.h - MARGIN_B + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
        p.append(
            f'<line class="axis" x1="{self.ml}" x2="{self.w - MARGIN_R}" '
            f'y1="{self.h - MARGIN_B}" y2="{self.h - MARGIN_B}"/>'
        )
        p.append(
            f'<line class="axis" x1="{self.ml}" x2="{self.ml}" y1="{MARGIN_T}" '
            f'y2="{self.h - MARGIN_B}"/>'
        )
        p.append(
            f'<text class="label" x="{(self.ml + self.w - MARGIN_R) / 2:.0f}" '
            f'y="{self.h - 8}" text-anchor="middle">{escape(self.x_label)}</text>'
        )
        mid_y = (self.h - MARGIN_B + MARGIN_T) / 2
        p.append(
            f'<text class="label" transform="translate(14 {mid_y:.0f}) rotate(-90)" '
            f'text-anchor="middle">{escape(self.y_label)}</text>'
        )

    def legend(self, names: Sequence[tuple[str, str]]) -> None:
        """One row under the title, left-aligned with the plot area."""
        x = float(self.ml)
        for name, color in names:
            self.parts.append(
                f'<g class="legend-item"><rect x="{x:.0f}" y="26" width="10" height="10" '
                f'fill="{color}"/><text class="tick" x="{x + 14:.0f}" y="35">{escape(name)}'
                f"</text></g>"
            )
            x += 24 + 6.5 * len(name)

    def svg(self, css_class: str = "chart") -> str:
        return (
            f'<svg class="{css_class}" viewBox="0 0 {self.w} {self.h}" width="{self.w}" '
            f'height="{self.h}" role="img" aria-label="{escape(self.title)}">'
            f'<text class="title" x="{self.ml}" y="20">{escape(self.title)}</text>'
            + "".join(self.parts)
            + "</svg>"
        )


def _color(i: int, series_color: str | None) -> str:
    return series_color or PALETTE[i % len(PALETTE)]


def empty_chart(title: str, message: str = "no data") -> str:
    f = _Frame(title, (0, 1), (0, 1), "", "")
    f.parts.append(
        f'<text class="empty" x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" '
        f'text-anchor="middle">{escape(message)}</text>'
    )
    return f.svg("chart empty")


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    step: bool = False,
    y_from_zero: bool = True,
    y_max: float | None = None,
    legend: Sequence[tuple[str, str]] | None = None,
) -> str:
    """Lines (or steps, for histograms) over a shared numeric x axis; None breaks a line."""
    xs = [x for s in series for x, y in s.points if y is not None]
    ys = [y for s in series for _, y in s.points if y is not None]
    if not xs:
        return empty_chart(title)
    y_lo = 0.0 if y_from_zero else min(ys)
    y_hi = y_max if y_max is not None else max(ys) * 1.05 if max(ys) > 0 else 1.0
    f = _Frame(title, (min(xs), max(xs)), (y_lo, y_hi), x_label, y_label)
    f.axes()
    for i, s in enumerate(series):
        color = _color(i, s.color)
        segments: list[list[str]] = [[]]
        prev_y = None
        for x, y in s.points:
            if y is None:
                segments.append([])
                continue
            if step and prev_y is not None and segments[-1]:
                segments[-1].append(f"{f.px(x):.1f},{f.py(prev_y):.1f}")
            segments[-1].append(f"{f.px(x):.1f},{f.py(y):.1f}")
            prev_y = y
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        paths = "".join(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" '
            f'stroke-width="2"{dash}/>'
            for seg in segments
            if len(seg) > 1
        )
        dots = "".join(
            f'<circle cx="{seg[0].split(",")[0]}" cy="{seg[0].split(",")[1]}" '
            f'r="2.5" fill="{color}"/>'
            for seg in segments
            if len(seg) == 1
        )
        f.parts.append(f'<g class="series" data-series="{escape(s.name)}">{paths}{dots}</g>')
    f.legend(
        legend
        if legend is not None
        else [(s.name, _color(i, s.color)) for i, s in enumerate(series)]
    )
    return f.svg()


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    y_label: str,
    stacked: bool = False,
    x_label: str = "",
) -> str:
    """Grouped (or stacked) vertical bars, one group per category."""
    totals = (
        [sum(v or 0 for v in col) for col in zip(*[vals for _, vals in series], strict=True)]
        if stacked and series
        else [v or 0 for _, vals in series for v in vals]
    )
    if not categories or not series or not totals:
        return empty_chart(title)
    y_hi = max(max(totals), 0) * 1.1 or 1.0
    n = len(categories)
    f = _Frame(title, (0, n), (0, y_hi), x_label, y_label)
    label_every = max(1, math.ceil(n / 12))
    room = int((f.px(label_every) - f.px(0)) / 6.5)
    f.axes(
        x_ticks=[i + 0.5 for i in range(0, n, label_every)],
        x_tick_labels=[_short(categories[i], room) for i in range(0, n, label_every)],
    )
    group_w = (f.px(1) - f.px(0)) * 0.8
    bar_w = group_w if stacked else group_w / len(series)
    base = [0.0] * n
    for si, (name, values) in enumerate(series):
        color = _color(si, None)
        rects = []
        for ci, v in enumerate(values):
            if v is None or v <= 0:
                continue
            x = f.px(ci) + (f.px(1) - f.px(0)) * 0.1 + (0 if stacked else si * bar_w)
            y_top = f.py(base[ci] + v)
            y_bottom = f.py(base[ci])
            rects.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{max(y_bottom - y_top, 0.5):.1f}" fill="{color}">'
                f"<title>{escape(categories[ci])} · {escape(name)}: {v:g}</title>"
                f"</rect>"
            )
            if stacked:
                base[ci] += v
        f.parts.append(f'<g class="series" data-series="{escape(name)}">{"".join(rects)}</g>')
    f.legend([(name, _color(i, None)) for i, (name, _) in enumerate(series)])
    return f.svg()


def _short(text: str, limit: int) -> str:
    limit = max(limit, 4)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def interval_chart(
    title: str,
    rows: Sequence[tuple[str, float | None, float | None, float | None, float, str]],
    *,
    x_label: str,
) -> str:
    """One row per metric: point and interval of the change, with the ±threshold band.

    rows: (label, estimate, low, high, threshold, verdict) with changes in % or pp.
    """
    values = [v for _, e, lo, hi, t, _ in rows for v in (e, lo, hi, t, -t) if v is not None]
    if not rows or not values:
        return empty_chart(title)
    span = max(abs(v) for v in values) * 1.15 or 1.0
    row_h = 22
    height = MARGIN_T + MARGIN_B + row_h * len(rows)
    f = _Frame(title, (-span, span), (0, len(rows)), x_label, "", height=height, margin_l=130)
    f.axes(y_ticks=[])
    colors = {
        "regression": PALETTE[1],
        "improvement": PALETTE[2],
        "unchanged": PALETTE[5],
        "inconclusive": PALETTE[3],
    }
    zero = f.px(0)
    f.parts.append(
        f'<line class="zero" x1="{zero:.1f}" x2="{zero:.1f}" y1="{MARGIN_T}" '
        f'y2="{height - MARGIN_B}"/>'
    )
    for i, (label, est, lo, hi, t, verdict) in enumerate(rows):
        y = MARGIN_T + row_h * (i + 0.5)
        color = colors.get(verdict, PALETTE[5])
        parts = [
            f'<rect class="band" x="{f.px(-t):.1f}" y="{y - 8:.1f}" '
            f'width="{f.px(t) - f.px(-t):.1f}" height="16"/>',
            f'<text class="tick" x="{f.ml - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>',
        ]
        if lo is not None and hi is not None:
            parts.append(
                f'<line x1="{f.px(lo):.1f}" x2="{f.px(hi):.1f}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="{color}" stroke-width="3"/>'
            )
        if est is not None:
            parts.append(
                f'<circle cx="{f.px(est):.1f}" cy="{y:.1f}" r="4" fill="{color}">'
                f"<title>{escape(label)}: {verdict}</title></circle>"
            )
        f.parts.append(
            f'<g class="series" data-series="{escape(label)}" '
            f'data-verdict="{verdict}">{"".join(parts)}</g>'
        )
    return f.svg("chart intervals")
