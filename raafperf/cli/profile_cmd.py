"""``raafperf profile SCENARIO``: CPU (pyinstrument) and/or memory (memray) profiles of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from raafperf.cli.errors import report_errors


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)


@report_errors
def profile(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    cpu: Annotated[
        bool,
        typer.Option(
            "--cpu",
            help="Profile CPU with pyinstrument (the "
            "default when neither --cpu nor --memory is given).",
        ),
    ] = False,
    memory: Annotated[
        bool,
        typer.Option(
            "--memory",
            help="Profile memory with memray, in a separate pass (profilers are never nested).",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.0001, help="pyinstrument's sampling interval in seconds."),
    ] = 0.001,
    native: Annotated[
        bool, typer.Option("--native", help="memray: record native (C) frames too.")
    ] = False,
    trace_python_allocators: Annotated[
        bool,
        typer.Option(
            "--trace-python-allocators/--no-trace-python-allocators",
            help="memray: track every object allocation rather than pymalloc's arenas (exact "
            "sites and per-request memory; off: faster, smaller capture).",
        ),
    ] = True,
    follow_fork: Annotated[
        bool,
        typer.Option("--follow-fork", help="memray: also track processes forked during the pass."),
    ] = False,
    overhead: Annotated[
        bool,
        typer.Option(
            "--overhead/--no-overhead",
            help="Run an unprofiled pass first and show what each profiler adds.",
        ),
    ] = True,
    variant: Annotated[
        str | None,
        typer.Option(
            "--variant", help="Profile only this variant ('baseline': the scenario as written)."
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per table.")] = 15,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "--out", help="Where runs (and their profiles) are saved."),
    ] = Path("reports"),
    profile_name: Annotated[
        str | None, typer.Option("--profile", help="Environment profile to apply.")
    ] = None,
    requests: Annotated[
        int | None, typer.Option("--requests", min=1, help="Override load.requests.")
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0.001, help="Override load.duration (s).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, help="Override load.concurrency (closed loop)."),
    ] = None,
    prices: Annotated[
        Path | None, typer.Option("--prices", help="Price table overriding the shipped one.")
    ] = None,
) -> None:
    """Run a scenario under a profiler; save HTML/speedscope/flame graph next to the run."""
    from rich.console import Console

    from raafperf.engine.overrides import apply_cli_overrides
    from raafperf.errors import UsageError
    from raafperf.profiling.session import ProfileOptions, run_profile
    from raafperf.render.console import make_console
    from raafperf.scenario.loader import load_scenario

    if not cpu and not memory:
        cpu = True
    if prices is not None and not prices.is_file():
        raise UsageError(f"--prices: no such file: {prices}")
    loaded = load_scenario(scenario, profile=profile_name)
    loaded = apply_cli_overrides(
        loaded, requests=requests, duration=duration, concurrency=concurrency
    )
    err = Console(stderr=True)
    workers = {sc.load.workers for sc in loaded.variants.values()} - {None, 1}
    if workers:
        err.print(
            f"note: profile passes run in one process; load.workers ({max(workers)}) is not used"
        )
    options = ProfileOptions(
        cpu=cpu,
        memory=memory,
        interval=interval,
        native=native,
        trace_python_allocators=trace_python_allocators,
        follow_fork=follow_fork,
        out_root=output_dir,
        variant=variant,
        overhead=overhead,
        top=top,
        prices=prices,
        on_pass=lambda kind: err.print(f"raafperf: {kind} pass…", style="dim"),
    )
    result = run_profile(loaded, options)
    _print(make_console(), result, top)


def _print(console: Any, result: Any, top: int) -> None:
    from raafperf.profiling.tables import cpu_tables, memory_tables, overhead_table

    reference = result.get("reference")
    for done in result.passes:
        if done.kind == "reference":
            continue
        for variant, hot in done.cpu.items():
            for table in cpu_tables(variant, hot, top, "raafperf"):
                console.print(table)
        for variant, rep in done.memory.items():
            object_level = bool(done.summary.get("profile", {}).get("trace_python_allocators"))
            for table in memory_tables(variant, rep, "raafperf", object_level):
                console.print(table)
        if done.overhead and reference is not None:
            console.print(overhead_table(done.kind, done.overhead, str(reference.run_dir)))
        console.print(f"{done.kind} pass saved in {done.run_dir}", markup=False)
        for name, rel in done.files.items():
            if not rel.endswith((".pyisession", ".bin")):
                console.print(f"  {name}: {done.run_dir / rel}", markup=False)
