"""``raafperf cache stats|clear``: look into or empty a persistent response cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from raafperf.cli.errors import report_errors

ScenarioOpt = Annotated[
    Path | None,
    typer.Option("--scenario", "-s", help="Take the cache section from this scenario file."),
]
VariantOpt = Annotated[
    str | None, typer.Option("--variant", help="The scenario variant whose cache to use.")
]
BackendOpt = Annotated[
    str | None, typer.Option("--backend", help="sqlite or redis (default: the scenario's).")
]
PathOpt = Annotated[Path | None, typer.Option("--path", help="The SQLite cache file.")]
UrlOpt = Annotated[
    str | None, typer.Option("--url", help="The Redis server, redis://host:port/db.")
]
NamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", help="Key prefix (default: the scenario's, raafperf).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the ``cache`` command group to ``app``."""
    group = typer.Typer(
        help="Inspect or clear a persistent response cache (SQLite file or Redis server).",
        no_args_is_help=True,
    )
    group.command("stats")(stats)
    group.command("clear")(clear)
    app.add_typer(group, name="cache")


@report_errors
def stats(
    scenario: ScenarioOpt = None,
    variant: VariantOpt = None,
    backend: BackendOpt = None,
    path: PathOpt = None,
    url: UrlOpt = None,
    namespace: NamespaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Entries, bytes and expired entries, by agent and by model."""
    import asyncio

    from raafperf.cache.inspect import describe

    config = _config(scenario, variant, backend, path, url, namespace)
    report = asyncio.run(describe(config))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        f"{report['backend']} cache at {report['location']} (namespace {report['namespace']})"
    )
    typer.echo(
        f"  entries {report['entries']}  bytes {report['bytes']:,}  expired {report['expired']}"
        f"  semantic {report['semantic_entries']}"
    )
    for title, key in (("agent", "by_agent"), ("model", "by_model")):
        rows: dict[str, Any] = report[key]
        if not rows:
            continue
        width = max(len(title), *(len(name) for name in rows))
        typer.echo(f"  {title:<{width}}  entries        bytes")
        for name, row in sorted(rows.items()):
            typer.echo(f"  {name:<{width}}  {row['entries']:>7}  {row['bytes']:>11,}")


@report_errors
def clear(
    scenario: ScenarioOpt = None,
    variant: VariantOpt = None,
    backend: BackendOpt = None,
    path: PathOpt = None,
    url: UrlOpt = None,
    namespace: NamespaceOpt = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's entries.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only this model's entries.")] = None,
    pattern: Annotated[
        str | None,
        typer.Option("--pattern", help="Only queries matching this glob, e.g. '*weather*'."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove every entry of the namespace, or those of an agent, a model or a query pattern."""
    import asyncio

    from raafperf.cache.backends import Selector
    from raafperf.cache.inspect import remove

    config = _config(scenario, variant, backend, path, url, namespace)
    removed = asyncio.run(remove(config, Selector(agent=agent, model=model, pattern=pattern)))
    if as_json:
        typer.echo(json.dumps({"removed": removed}))
    else:
        typer.echo(f"removed {removed} entr{'y' if removed == 1 else 'ies'}")


def _config(
    scenario: Path | None,
    variant: str | None,
    backend: str | None,
    path: Path | None,
    url: str | None,
    namespace: str | None,
) -> Any:
    from raafperf.cache.inspect import cache_config

    return cache_config(
        scenario=scenario,
        variant=variant,
        backend=backend,
        path=str(path) if path is not None else None,
        url=url,
        namespace=namespace,
    )
