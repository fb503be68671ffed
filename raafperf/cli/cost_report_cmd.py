"""``raafperf cost-report RUN...``: tokens and dollars of saved runs, projections, differences."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from raafperf.errors import RaafperfError


def register(app: typer.Typer) -> None:
    """Add the ``cost-report`` command to ``app``."""
    app.command("cost-report")(cost_report)


def cost_report(
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders (or their summary.json); 2+ are compared.")
    ],
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Price file (JSON/YAML/TOML) merged over the shipped one."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="Project at this many requests per second."),
    ] = None,
    per_day: Annotated[
        float | None,
        typer.Option("--per-day", help="Project at this many requests per day."),
    ] = None,
    variant: Annotated[
        str | None, typer.Option("--variant", help="Only this variant (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of tables.")] = False,
) -> None:
    """Tokens and cost by agent × model, per request and per 1,000, projected per day and
    month (default rate: the run's measured throughput), cache and downgrade savings; with
    two or more runs, the difference of each from the first."""
    from raafperf.cost.report import build_report

    try:
        if as_json and as_csv:
            raise RaafperfError("give --json or --csv, not both")
        report = build_report(runs, prices=prices, variant=variant, rate=rate, per_day=per_day)
    except RaafperfError as exc:
        # The lead's shared CLI error helper can replace this once it exists.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    elif as_csv:
        _write_csv(report)
    else:
        _render(report)


# -- CSV ----------------------------------------------------------------------------------

_CSV_FIELDS = (
    "section", "run", "variant", "agent", "model", "calls", "prompt_tokens", "cached_tokens",
    "output_tokens", "cost_usd", "usd_per_1k_requests", "per_day_usd", "per_month_usd",
    "base_usd_per_1k_requests", "diff_usd_per_1k_requests", "diff_pct",
)  # fmt: skip


def _write_csv(report: dict[str, Any]) -> None:
    out = csv.DictWriter(sys.stdout, fieldnames=_CSV_FIELDS, lineterminator="\n")
    out.writeheader()
    for vc in report["runs"]:
        cost, base = vc["cost"], {"section": "cost", "run": vc["run"], "variant": vc["variant"]}
        for row in cost["by_agent_model"]:
            out.writerow(
                {
                    **base,
                    **{k: row[k] for k in ("agent", "model", "calls", "prompt_tokens")},
                    **{k: row[k] for k in ("cached_tokens", "output_tokens", "cost_usd")},
                    "usd_per_1k_requests": row["usd_per_1k_requests"],
                }
            )
        tokens = cost["tokens"]
        out.writerow(
            {
                **base,
                "agent": "TOTAL",
                "calls": cost["model_calls"],
                "prompt_tokens": tokens["prompt"],
                "cached_tokens": tokens["cached"],
                "output_tokens": tokens["output"],
                "cost_usd": cost["total_usd"],
                "usd_per_1k_requests": cost["per_1k_requests_usd"],
                "per_day_usd": vc["projection"]["per_day_usd"],
                "per_month_usd": vc["projection"]["per_month_usd"],
            }
        )
    for comp in report["comparisons"]:
        base = {
            "section": "diff",
            "run": f"{comp['other']['run']} vs {comp['base']['run']}",
            "variant": comp["other"]["variant"],
        }
        for row in [*comp["rows"], {"agent": "TOTAL", "model": "", **comp["total"]}]:
            out.writerow(
                {
                    **base,
                    "agent": row["agent"],
                    "model": row["model"],
                    "usd_per_1k_requests": row["other"],
                    "base_usd_per_1k_requests": row["base"],
                    "diff_usd_per_1k_requests": row["diff"],
                    "diff_pct": row["pct"],
                }
            )


# -- rich tables --------------------------------------------------------------------------


def _usd(value: float | None) -> str:
    if value is None:
        return "unpriced"
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.2f}"
    return f"${value:.4g}" if abs(value) >= 1e-4 else f"${value:.2e}"


def _signed_usd(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + _usd(value).replace("$-", "-$")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def _render(report: dict[str, Any]) -> None:
    from rich.table import Table

    from raafperf.render.console import make_console

    console = make_console()
    for vc in report["runs"]:
        cost = vc["cost"]
        title = f"{vc['run']} · {vc['variant']} · {cost['requests']:,} requests"
        table = Table(title=title, title_justify="left")
        for col in ("agent", "model"):
            table.add_column(col)
        for col in ("calls", "prompt tok", "cached tok", "output tok", "cost", "per 1k req"):
            table.add_column(col, justify="right")
        for r in cost["by_agent_model"]:
            table.add_row(
                r["agent"],
                r["model"],
                f"{r['calls']:,}",
                f"{r['prompt_tokens']:,}",
                f"{r['cached_tokens']:,}",
                f"{r['output_tokens']:,}",
                _usd(r["cost_usd"]),
                _usd(r["usd_per_1k_requests"]),
            )
        t = cost["tokens"]
        table.add_section()
        table.add_row(
            "total",
            "" if cost["complete"] else "(priced calls only)",
            f"{cost['model_calls']:,}",
            f"{t['prompt']:,}",
            f"{t['cached']:,}",
            f"{t['output']:,}",
            _usd(cost["total_usd"]),
            _usd(cost["per_1k_requests_usd"]),
            style="bold",
        )
        console.print(table)
        for line in _facts(vc):
            console.print(line, highlight=False)
        console.print()
    for comp in report["comparisons"]:
        _render_comparison(console, comp)


def _facts(vc: dict[str, Any]) -> list[str]:
    cost, proj = vc["cost"], vc["projection"]
    per_request = cost["per_request_usd"]
    lines = [
        f"  per request: mean {_usd(per_request['mean'])}, p50 {_usd(per_request['p50'])}, "
        f"p95 {_usd(per_request['p95'])}, max {_usd(per_request['max'])}",
    ]
    if vc["rate_rps"] is not None:
        lines.append(
            f"  projected at {vc['rate_rps']:,.3g} req/s ({vc['rate_source']}, "
            f"{proj['requests_per_day']:,.0f} req/day): {_usd(proj['per_day_usd'])}/day, "
            f"{_usd(proj['per_month_usd'])}/30-day month"
        )
    saved = cost["cache_savings"]
    if saved["hits"]:
        lines.append(
            f"  cache saved {_usd(saved['usd'])} on {saved['hits']:,} hits "
            f"({saved['prompt_tokens']:,} prompt + {saved['output_tokens']:,} output tokens)"
        )
    down = cost["downgrades"]
    if down["requests"]:
        lines.append(
            f"  downgrades: {down['requests']:,} requests, saved "
            f"{_usd(down['saved_usd']) if down['saved_usd'] is not None else 'unknown'}"
        )
    if cost["over_request_budget"]:
        lines.append(f"  {cost['over_request_budget']:,} requests over the per-request budget")
    if cost["warmup_usd"]:
        lines.append(f"  warm-up (not in the totals): {_usd(cost['warmup_usd'])}")
    for model, err in cost["token_estimate_error"].items():
        lines.append(
            f"  token estimate vs reported usage, {model}: mean |error| "
            f"{err['mean_abs']:,.1f} tokens ({err['mean_rel'] * 100:.1f}%), "
            f"bias {err['mean_bias'] * 100:+.1f}% over {err['calls']:,} calls"
        )
    if cost["unpriced_models"]:
        lines.append(
            "  [yellow]unpriced (not in the totals; add them with --prices): "
            + ", ".join(cost["unpriced_models"])
            + "[/yellow]"
        )
    lines.append(f"  prices checked {cost['prices_checked']} ({', '.join(cost['price_files'])})")
    lines += [f"  note: {n}" for n in vc["notes"]]
    return lines


def _render_comparison(console: Any, comp: dict[str, Any]) -> None:
    from rich.table import Table

    title = (
        f"{comp['other']['run']} vs {comp['base']['run']} · {comp['other']['variant']} · "
        "USD per 1,000 requests"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("agent")
    table.add_column("model")
    for col in ("base", "other", "difference", "%"):
        table.add_column(col, justify="right")
    for row in [*comp["rows"], None, {"agent": "total", "model": "", **comp["total"]}]:
        if row is None:
            table.add_section()
            continue
        table.add_row(
            row["agent"],
            row["model"],
            _usd(row["base"]),
            _usd(row["other"]),
            _signed_usd(row["diff"]),
            _pct(row["pct"]),
        )
    console.print(table)
    tot = comp["total_usd"]
    console.print(
        f"  run totals: {_usd(tot['base'])} → {_usd(tot['other'])} "
        f"({_signed_usd(tot['diff'])}, {_pct(tot['pct'])})",
        highlight=False,
    )
    console.print()
