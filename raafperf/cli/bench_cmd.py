"""``raafperf bench SCENARIO``: run the load, show progress, print and save the summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


@report_errors
def bench(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    variant: str = typer.Option(
        None, "--variant", help="Run only this variant ('baseline' for the scenario as written)."
    ),
    rounds: int = typer.Option(
        None, "--rounds", min=1, help="Alternating rounds when comparing variants (default 3)."
    ),
    out: Path = typer.Option(Path("reports"), "--out", help="Where runs are saved."),
    profile: str = typer.Option(None, "--profile", help="Environment profile to apply."),
    requests: int = typer.Option(None, "--requests", min=1, help="Override load.requests."),
    duration: float = typer.Option(
        None, "--duration", min=0.001, help="Override load.duration (seconds)."
    ),
    concurrency: int = typer.Option(
        None, "--concurrency", min=1, help="Override load.concurrency (closed loop)."
    ),
    rate: float = typer.Option(
        None, "--rate", min=0.001, help="Override load.rate (open loop, requests/s)."
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Worker processes (default: from the scenario, else 1)."
    ),
    prices: Path = typer.Option(None, "--prices", help="Price table overriding the shipped one."),
    ground_truth: bool = typer.Option(
        False, "--ground-truth", help="Save the simulator's ground-truth log in the run folder."
    ),
    ray: str = typer.Option(
        None,
        "--ray",
        metavar="[ADDRESS]",
        help="Run the load on Ray "
        "actors (one per --workers): alone or 'local', on a local Ray "
        "instance; with an address (auto, HOST:6379), on that cluster. "
        "Needs pip install 'raafperf[ray]'.",
    ),
    baseline: str = typer.Option(
        None,
        "--baseline",
        help="Compare with this saved run (a folder, its summary.json, or 'latest').",
    ),
    prometheus: int = typer.Option(
        None,
        "--prometheus",
        min=0,
        max=65535,
        metavar="PORT",
        help="Serve live metrics for Prometheus on "
        "http://127.0.0.1:PORT/metrics while the run goes.",
    ),
) -> None:
    """Run a scenario and report latency percentiles, throughput, errors and more."""
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.engine.overrides import apply_cli_overrides
    from raafperf.render.summary_table import print_summary
    from raafperf.scenario.loader import load_scenario

    if ray is not None:
        from raafperf.engine.ray_run import require_ray

        require_ray()
    loaded = load_scenario(scenario, profile=profile)
    loaded = apply_cli_overrides(
        loaded,
        requests=requests,
        duration=duration,
        concurrency=concurrency,
        rate=rate,
        workers=workers,
    )
    if prices is not None and not prices.is_file():
        from raafperf.errors import UsageError

        raise UsageError(f"--prices: no such file: {prices}")
    options = BenchOptions(
        out_root=out,
        ray=ray,
        variant=variant,
        rounds=rounds,
        prices=prices,
        ground_truth=ground_truth,
        workers=workers,
    )
    if prometheus is not None:
        from raafperf.monitor import PrometheusExporter

        options.monitor = PrometheusExporter(
            prometheus, info={"scenario": loaded.scenario.name}
        ).start()
        typer.echo(f"raafperf: live metrics on {options.monitor.url}", err=True)
    live = None
    if not json_out and sys.stdout.isatty():
        from raafperf.render.live import LiveProgress

        live = LiveProgress()
        options.on_progress = live.update
    try:
        if live is not None:
            live.start()
        outcome = run_bench(loaded, options)
    finally:
        if live is not None:
            live.stop()
        if options.monitor is not None:
            options.monitor.stop()
    comparison_failed = False
    if baseline is not None:
        from raafperf.cli.baseline import compare_with_baseline

        comparison_failed = compare_with_baseline(baseline, outcome, json_out=json_out)
    if json_out:
        sys.stdout.write(json.dumps(_json_view(outcome), indent=2) + "\n")
    else:
        print_summary(outcome.summary, outcome.run_dir)
    from raafperf.engine.merge import loss_lines

    for line in loss_lines(outcome.summary):
        typer.echo(f"raafperf: warning: {line}", err=True)
    if outcome.budget_error:
        typer.echo(f"raafperf: {outcome.budget_error} ({outcome.run_dir})", err=True)
        raise typer.Exit(1)
    if outcome.interrupted:
        typer.echo(
            f"raafperf: interrupted; what was measured is saved in {outcome.run_dir}", err=True
        )
        raise typer.Exit(130)
    if outcome.failed_thresholds or comparison_failed:
        raise typer.Exit(1)


def _json_view(outcome: object) -> dict:
    summary = json.loads((outcome.run_dir / "summary.json").read_text())  # type: ignore[attr-defined]
    summary["run_dir"] = str(outcome.run_dir)  # type: ignore[attr-defined]
    return summary
