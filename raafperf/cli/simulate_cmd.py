"""``raafperf simulate``: serve the built-in provider simulator for other tools and apps."""

from __future__ import annotations

from pathlib import Path

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


@report_errors
def simulate(
    config: Path = typer.Option(
        None,
        "--config",
        help="Simulator settings (YAML/JSON): "
        "latency, faults, rate_limits, tls, connection_cost_ms...",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="0 picks a free port."),
    model: list[str] = typer.Option(
        None, "--model", help="Models served (repeatable; default: any name)."
    ),
    seed: int = typer.Option(0, "--seed"),
    ground_truth: Path = typer.Option(
        None, "--ground-truth", help="Folder for the ground-truth log."
    ),
    tls: bool = typer.Option(False, "--tls", help="Serve HTTPS with a generated certificate."),
) -> None:
    """Serve OpenAI- and Anthropic-compatible endpoints on this machine until Ctrl-C."""
    from raafperf.sim.cli_entry import run_simulator

    run_simulator(config, host, port, list(model) if model else None, seed, ground_truth, tls)
