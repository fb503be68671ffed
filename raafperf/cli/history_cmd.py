"""``raafperf history [SCENARIO]``: the trend of a scenario's main metrics across runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from raafperf.cli.errors import report_errors
from raafperf.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("history")(history)


@report_errors
def history(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A scenario name or its YAML file; omitted: list the scenarios with runs."
        ),
    ] = None,
    reports: Annotated[
        Path, typer.Option("--reports", "--out", help="The reports folder whose runs are indexed.")
    ] = Path("reports"),
    db: Annotated[
        Path | None,
        typer.Option("--db", help="The history store (default: REPORTS/history.sqlite)."),
    ] = None,
    variant: Annotated[str, typer.Option(help="Which variant of each run.")] = "baseline",
    limit: Annotated[int, typer.Option(min=1, help="Show the newest N runs.")] = 20,
    this_machine: Annotated[
        bool,
        typer.Option(
            "--this-machine", help="Only runs made on this machine (hostname and CPU model)."
        ),
    ] = (False),
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    scan: Annotated[
        bool, typer.Option("--scan/--no-scan", help="Index new run folders under REPORTS first.")
    ] = True,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Re-read every summary.json under REPORTS.")
    ] = False,
) -> None:
    """Show how p50/p95 TTFT, p95 E2E, req/s, error rate and cost per request moved across
    the runs of a scenario, with the git commit and the machine of each run."""
    from rich.console import Console

    from raafperf.history.store import HistoryStore, default_db_path
    from raafperf.history.table import scenarios_table, trend_json, trend_table

    store = HistoryStore(db or default_db_path(reports))
    if scan or rebuild:
        report = store.sync(reports, rebuild=rebuild)
        for why in report.skipped:
            print(f"raafperf: history: skipped {why}", file=sys.stderr)
    console = Console(width=None if sys.stdout.isatty() else 160)
    if scenario is None:
        rows = store.scenarios()
        if json_out:
            _print_json({"store": str(store.path), "scenarios": rows})
        elif not rows:
            console.print(f"no runs indexed in {store.path} (run `raafperf bench` first)")
        else:
            console.print(scenarios_table(rows, title=f"raafperf history · {store.path}"))
        return
    name = scenario_name(scenario)
    hostname = cpu_model = None
    if this_machine:
        from raafperf.record.machine import machine_info

        info = machine_info()
        hostname, cpu_model = info["hostname"], info["cpu_model"]
    points = store.trend(name, variant=variant, limit=limit, hostname=hostname, cpu_model=cpu_model)
    if not points:
        known = store.variants_of(name)
        if known:
            raise UsageError(
                f"no runs of {name!r} have a variant {variant!r} (known: {', '.join(known)})"
            )
        if not this_machine:
            names = ", ".join(r["scenario"] for r in store.scenarios()) or "none"
            raise UsageError(f"no runs of {name!r} in {store.path} (scenarios with runs: {names})")
    if json_out:
        _print_json(trend_json(name, variant, str(store.path), points))
        return
    title = f"raafperf history · {name}" + (f" · {variant}" if variant != "baseline" else "")
    if not points:
        console.print(f"no runs of {name!r} on this machine in {store.path}")
        return
    console.print(trend_table(points, title=title))
    console.print(
        "Percentiles are nearest-rank; a figure is red (worse) or green (better) when "
        "it moved more than 10% from the run above. One run is noisy: use "
        "`raafperf compare` for a verdict.",
        style="dim",
    )


def scenario_name(spec: str) -> str:
    """The scenario's name: ``spec`` itself, or the ``name:`` of the YAML file it points to."""
    path = Path(spec)
    if not (path.suffix in (".yaml", ".yml") or path.is_file()):
        return spec
    if not path.is_file():
        raise UsageError(f"{spec}: no such scenario file")
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"{spec}: cannot read the scenario's name ({exc.__class__.__name__})"
        ) from None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise UsageError(f"{spec}: the scenario has no 'name'")
    return name


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
