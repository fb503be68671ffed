"""``raafperf check SCENARIO``: validate a scenario without running it (and audit it)."""

from __future__ import annotations

from pathlib import Path

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("check")(check)


@report_errors
def check(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    profile: str = typer.Option(None, "--profile", help="Environment profile to apply."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when the audit warns."),
) -> None:
    """Validate a scenario file; audit it against the performance checklist."""
    from raafperf.scenario.loader import build_query_pool, load_scenario

    loaded = load_scenario(scenario, profile=profile)
    queries = build_query_pool(loaded, loaded.scenario)
    s = loaded.scenario
    typer.echo(
        f"{scenario}: valid — {len(s.providers)} provider(s), {len(s.agents)} agent(s), "
        f"{len(queries)} queries, {len(loaded.variants) - 1} variant(s), load {s.load.mode}"
    )
    try:
        from raafperf.analysis.checklist import audit, print_audit
    except ImportError:
        return
    items = audit(loaded)
    print_audit(items)
    if any(i.status == "fail" for i in items) or (
        strict and any(i.status == "warn" for i in items)
    ):
        raise typer.Exit(1)
