"""GitHub-flavoured Markdown, for pull-request comments and the Actions step summary."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from raafperf.render.base import VERDICT_WORDS, Report, fmt_value, method_line, overall_line

if TYPE_CHECKING:
    from raafperf.analysis.compare import Comparison
    from raafperf.analysis.run_report import RunReport


def cell(text: object) -> str:
    """Text safe inside a GFM table cell (pipes escaped, no line breaks)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def code(text: object) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def table(header: list[str], align: list[str], rows: list[list[object]]) -> list[str]:
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    out = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


class MarkdownRenderer:
    def render(self, report: Report) -> str:
        from raafperf.analysis.compare import Comparison

        lines = self._comparison(report) if isinstance(report, Comparison) else self._run(report)
        return "\n".join(lines) + "\n"

    def _comparison(self, c: Comparison) -> list[str]:
        lines = [
            f"## raafperf compare: {code(c.scenario)} (variant {code(c.variant)})",
            "",
            f"**{overall_line(c)}**",
            "",
            f"Baseline {code(c.baseline.run_id)}"
            f"{_when(c.baseline.started_at, c.baseline.git_commit)} → current "
            f"{code(c.current.run_id)}{_when(c.current.started_at, c.current.git_commit)}",
            "",
        ]
        ci = f"{c.confidence:.0%} CI"
        rows = [
            [
                m.label,
                fmt_value(m.baseline, m.unit),
                fmt_value(m.current, m.unit),
                m.change_text(),
                m.interval_text(),
                str(m.threshold),
                f"**{VERDICT_WORDS[m.verdict]}**"
                if m.verdict == "regression"
                else VERDICT_WORDS[m.verdict],
            ]
            for m in c.metrics
        ]
        lines += table(
            ["Metric", "Baseline", "Current", "Change", ci, "Threshold", "Verdict"],
            ["l", "r", "r", "r", "r", "r", "l"],
            rows,
        )
        lines += ["", "<details><summary>Why each verdict</summary>", ""]
        lines += [
            f"- {m.label} — {VERDICT_WORDS[m.verdict]}: {m.reason} "
            f"(n = {m.n_baseline:,} / {m.n_current:,})"
            for m in c.metrics
        ]
        lines += ["", "</details>", ""]
        lines += [f"> {note}" for note in c.notes]
        if c.notes:
            lines.append("")
        lines += [
            f"_{method_line(c)} REGRESSION: the interval excludes no change and the change "
            "exceeds the threshold. UNCHANGED: the whole interval lies within ±threshold. "
            "INCONCLUSIVE: too few samples or too wide an interval; it is not a pass._",
        ]
        return lines

    def _run(self, r: RunReport) -> list[str]:
        lines = [
            f"## raafperf run: {code(r.info.scenario)}",
            "",
            f"Run {code(r.info.run_id)}{_when(r.info.started_at, r.info.git_commit)}"
            + (" — **interrupted**" if r.info.interrupted else ""),
            "",
        ]
        rows = [
            [
                v.name,
                f"{v.ok:,} / {v.measured:,}",
                fmt_value(v.error_rate_pct, "%"),
                fmt_value(v.throughput_rps, "req/s"),
                *[
                    fmt_value(getattr(v, fam).get(p), "ms")
                    for fam in ("ttft_ms", "e2e_ms")
                    for p in ("p50", "p95", "p99")
                ],
                fmt_value(v.itl_ms.get("p50"), "ms"),
                fmt_value(v.cost_per_request_usd, "USD"),
            ]
            for v in r.variants
        ]
        lines += table(
            [
                "Variant",
                "OK / measured",
                "Error rate",
                "Throughput",
                "TTFT p50",
                "TTFT p95",
                "TTFT p99",
                "E2E p50",
                "E2E p95",
                "E2E p99",
                "ITL p50",
                "Cost / request",
            ],
            ["l"] + ["r"] * 11,
            rows,
        )
        checks = [
            [
                v.name,
                t.get("name", ""),
                t.get("limit", ""),
                _num(t.get("value")),
                "PASS" if t.get("passed") else "**FAIL**",
            ]
            for v in r.variants
            for t in v.thresholds
        ]
        if checks:
            lines += ["", "### Thresholds", ""]
            lines += table(
                ["Variant", "Threshold", "Limit", "Value", "Result"],
                ["l", "l", "r", "r", "l"],
                checks,
            )
        errors = [
            [v.name, kind, count] for v in r.variants for kind, count in v.errors_by_kind.items()
        ]
        if errors:
            lines += ["", "### Errors", ""]
            lines += table(["Variant", "Kind", "Count"], ["l", "l", "r"], errors)
        lines += ["", "_Percentiles are nearest-rank over successful measured requests._"]
        return lines


def _num(value: object) -> str:
    return f"{value:,.4g}" if isinstance(value, int | float) else str(value or "")


def _when(started_at: str | None, commit: str | None) -> str:
    parts = [p for p in (started_at, f"commit {commit[:10]}" if commit else None) if p]
    return f" ({', '.join(parts)})" if parts else ""


def write_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append to the file named by ``$GITHUB_STEP_SUMMARY``; None when it is not set."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
