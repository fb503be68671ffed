"""The typer application: one thin module per command, registered here.

Command modules import their heavy machinery inside the command function, so that
``raafperf --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

from raafperf import __version__

app = typer.Typer(
    name="raafperf",
    help="Benchmark and profile AI-agent workloads: latency, throughput, cost, pooling, "
    "caching and routing. Runs on the built-in provider simulator with no API key.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Each module exposes register(app). Optional areas that fail to import stay out of the CLI
# rather than breaking every command.
_COMMAND_MODULES = (
    "raafperf.cli.bench_cmd",
    "raafperf.cli.check_cmd",
    "raafperf.cli.simulate_cmd",
    "raafperf.cli.report_cmd",
    "raafperf.cli.compare_cmd",
    "raafperf.cli.profile_cmd",
    "raafperf.cli.cost_report_cmd",
    "raafperf.cli.cache_cmd",
    "raafperf.cli.history_cmd",
    "raafperf.cli.calibrate_cmd",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"raafperf {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """raafperf command line."""


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_all()


def _bare_ray(args: list[str]) -> list[str]:
    """``--ray`` may stand alone (a local Ray instance); typer has no optional values."""
    out = list(args)
    if "--ray" in out:
        i = out.index("--ray")
        nxt = out[i + 1] if i + 1 < len(out) else None
        if nxt is None or nxt.startswith("-") or nxt.endswith((".yaml", ".yml")):
            out.insert(i + 1, "local")
    return out


def main() -> None:
    import os
    import sys

    sys.argv[1:] = _bare_ray(sys.argv[1:])
    try:
        app()
    except Exception as exc:
        # A bug in raafperf: one line for the user, the traceback on request.
        if os.environ.get("RAAFPERF_DEBUG"):
            raise
        print(
            f"raafperf: internal error: {exc.__class__.__name__}: {exc} "
            "(set RAAFPERF_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        raise SystemExit(3) from None
