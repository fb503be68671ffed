"""``raafperf calibrate``: this machine's ceiling as a load generator.

Runs the engine against the built-in simulator with zero latency at rising concurrency and
reports where requests per second stop growing, and how late the client's event loop got
there — the point beyond which raafperf, not the target, would be the limit.
"""

from __future__ import annotations

from pathlib import Path

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)


@report_errors
def calibrate(
    requests: int = typer.Option(3000, "--requests", min=100, help="Requests per step."),
    tokens: int = typer.Option(16, "--tokens", min=1, help="Output tokens per response."),
    levels: str = typer.Option("8,32,128", "--levels", help="Concurrency steps."),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Worker processes (default: what the machine can use)."
    ),
    stream: bool = typer.Option(True, "--stream/--no-stream"),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Measure the generator's ceiling against the built-in simulator on this machine."""
    import json
    import tempfile

    from raafperf.engine.calibration import calibrate_machine

    try:
        steps = [int(x) for x in levels.split(",") if x.strip()]
    except ValueError:
        from raafperf.errors import UsageError

        raise UsageError(f"--levels: not a list of numbers: {levels!r}") from None
    with tempfile.TemporaryDirectory() as tmp:
        result = calibrate_machine(
            Path(tmp), steps, requests=requests, tokens=tokens, workers=workers, stream=stream
        )
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    from rich.table import Table

    from raafperf.render.console import make_console

    table = Table(
        title=f"raafperf calibrate · {result['machine']['cpu_count']} cores · "
        f"{result['workers']} worker(s) · {tokens} tokens · "
        f"{'streaming' if stream else 'non-streaming'}",
        title_justify="left",
    )
    for col in (
        "concurrency",
        "req/s",
        "tokens/s",
        "client CPU share",
        "loop lag p99 ms",
        "TTFT p50 ms",
    ):
        table.add_column(col, justify="right")
    for s in result["steps"]:
        table.add_row(
            str(s["concurrency"]),
            f"{s['requests_per_s']:,.0f}",
            f"{s['tokens_per_s']:,.0f}",
            f"{s['cpu_share']:.0%}",
            f"{s['loop_lag_p99_ms']:.1f}",
            f"{s['ttft_p50_ms']:.1f}",
        )
    make_console().print(table)
    typer.echo(
        f"ceiling: {result['ceiling_rps']:,.0f} requests/s at concurrency "
        f"{result['ceiling_concurrency']}; beyond it the generator is the limit."
    )
