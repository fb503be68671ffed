"""``raafperf report RUN``: show a saved run again, in any format."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("report")(report)


@report_errors
def report(
    run: Path = typer.Argument(..., help="A run folder or its summary.json."),
    fmt: str = typer.Option(
        "table", "--format", "-f", help="table, json, markdown, junit or html."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """Print a saved run's summary (or write it as Markdown, JUnit XML or HTML)."""
    from raafperf.record.store import load_run

    saved = load_run(run)
    if fmt == "table" and output is None:
        from raafperf.render.summary_table import print_summary

        print_summary(saved.summary, saved.path)
        return
    from raafperf.render.run_formats import render_run_format

    data = render_run_format(saved, fmt)
    if output is not None:
        from raafperf.record.atomic import atomic_path

        with atomic_path(output) as tmp:
            tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
        typer.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(data if isinstance(data, str) else data.decode())
