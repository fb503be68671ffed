"""``raafperf compare BASELINE CURRENT``: a verdict per metric, exit 1 on a regression."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from raafperf.cli.errors import report_errors
from raafperf.errors import RaafperfError, ThresholdFailed, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from raafperf.analysis.compare import Comparison

FORMAT_HELP = "table | json | markdown | junit | html"


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to the main app."""
    app.command("compare", no_args_is_help=True)(compare)


@report_errors
def compare(
    baseline: Annotated[
        str,
        typer.Argument(
            help="Baseline run: its folder, its summary.json, or its name under reports/."
        ),
    ],
    current: Annotated[str, typer.Argument(help="Current run, given the same way.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report here (the table still prints)."),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            help="NAME:VALUE, repeatable: p95_ttft:10%, latency:15%, error_rate:+0.5pp, "
            "cost_per_request:5%. Overrides the scenario's gate and the defaults.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on inconclusive metrics too.")
    ] = False,
    variant: Annotated[str, typer.Option(help="Which variant of both runs to compare.")] = (
        "baseline"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 2000,
    step_summary: Annotated[
        bool,
        typer.Option(
            "--step-summary/--no-step-summary",
            help="Append Markdown to $GITHUB_STEP_SUMMARY when it is set.",
        ),
    ] = True,
) -> None:
    """Compare two saved runs: ratio, bootstrap interval and verdict for each metric.

    Verdicts: REGRESSION (interval excludes no change and the change exceeds the threshold),
    IMPROVEMENT, UNCHANGED (the whole interval within ±threshold), INCONCLUSIVE (too few
    samples or too wide an interval; not a pass). Exit 1 on a regression (and with --strict
    on inconclusive), 2 on bad input.
    """
    run_compare(
        baseline,
        current,
        thresholds=threshold or (),
        variant=variant,
        fmt=fmt,
        output=output,
        strict=strict,
        seed=seed,
        resamples=resamples,
        step_summary=step_summary,
    )


def run_compare(
    baseline: Any,
    current: Any,
    *,
    thresholds: Sequence[str] = (),
    variant: str = "baseline",
    fmt: str = "table",
    output: Path | None = None,
    strict: bool = False,
    seed: int = 0,
    resamples: int = 2000,
    step_summary: bool = True,
    console: Console | None = None,
) -> Comparison:
    """Compare, show or write the report, append the step summary, then apply the gate.

    ``baseline``/``current`` are runs or their paths (``bench --baseline`` passes its
    just-saved run as ``current``). Raises ThresholdFailed (exit 1) when the gate fails.
    """
    from raafperf.analysis.compare import check_gate, compare_runs
    from raafperf.render.base import FORMATS, renderer_for

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
    comparison = compare_runs(
        baseline,
        current,
        list(thresholds),
        variant=variant,
        seed=seed,
        resamples=resamples,
        plots=fmt == "html",
    )
    out = console or _console()
    if output is not None:
        write_report(output, renderer_for(fmt).render(comparison))
    if output is not None or fmt == "table":
        from raafperf.render.table import TableRenderer

        out.print(TableRenderer().table(comparison))
        if output is not None:
            out.print(f"report written to {_escape(str(output))}")
    else:
        rendered = renderer_for(fmt).render(comparison)
        if isinstance(rendered, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(rendered)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(rendered)
    if step_summary:
        from raafperf.render.markdown import MarkdownRenderer, write_step_summary

        try:
            write_step_summary(MarkdownRenderer().render(comparison))
        except OSError as exc:
            raise RaafperfError(f"cannot append to $GITHUB_STEP_SUMMARY: {exc}") from None
    check_gate(comparison, strict=strict)
    return comparison


def compare_with_baseline(
    baseline: str | Path,
    current: Any,
    *,
    json_out: bool = False,
    thresholds: Sequence[str] = (),
    variant: str = "baseline",
    strict: bool = False,
    output: Path | None = None,
    fmt: str = "table",
) -> bool:
    """For ``raafperf bench --baseline RUN``: compare the just-saved run; True if the gate failed.

    ``current`` is the bench outcome (anything with ``run_dir``), a saved run or its path.
    ``baseline`` may be ``latest``: the newest other run of the same scenario beside it. The
    table goes to stderr when ``json_out`` keeps stdout for JSON.
    """
    from raafperf.analysis.samples import open_run

    run_dir = getattr(current, "run_dir", None)
    cur = open_run(run_dir if run_dir is not None else current)
    base: Any = latest_run_beside(cur) if str(baseline) == "latest" else baseline
    console = _console(stderr=json_out)
    try:
        run_compare(
            base,
            cur,
            thresholds=thresholds,
            variant=variant,
            fmt=fmt,
            output=output,
            strict=strict,
            console=console,
        )
    except ThresholdFailed as exc:
        console.print(f"raafperf: compare: {_escape(str(exc))}")
        return True
    return False


def latest_run_beside(run: Any) -> Path:
    """The newest run folder next to ``run`` with the same scenario name, other than ``run``."""
    import json

    from raafperf.analysis.samples import scenario_name

    name = scenario_name(run)
    here = Path(run.path).resolve()
    found: list[tuple[str, Path]] = []
    for summary in here.parent.glob("*/summary.json"):
        folder = summary.parent.resolve()
        if folder == here:
            continue
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (data.get("scenario") or {}).get("name") == name:
            found.append((str(data.get("started_at") or ""), folder))
    if not found:
        raise UsageError(f"--baseline latest: no earlier run of {name!r} in {here.parent}")
    return max(found)[1]


def write_report(path: Path, content: str | bytes) -> None:
    """Write a rendered report atomically (a reader never sees half a file)."""
    from raafperf.record.atomic import atomic_path

    try:
        with atomic_path(path) as tmp:
            if isinstance(content, bytes):
                tmp.write_bytes(content)
            else:
                tmp.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise RaafperfError(f"cannot write {path}: {exc}") from None


def _console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, width=160 if not sys.stdout.isatty() else None)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
