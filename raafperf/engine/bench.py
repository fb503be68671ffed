"""One bench run from start to end: simulators, variants in rounds, the summary, the files.

This module reads as the whole pipeline; each step lives in its own module.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.engine.loop import SegmentPlan, SegmentResult, run_segment
from raafperf.engine.schedule import split_evenly
from raafperf.engine.simulators import SimulatorSet
from raafperf.errors import RaafperfError, UsageError
from raafperf.record.recorder import Recorder
from raafperf.scenario.loader import LoadedScenario, Query, build_query_pool
from raafperf.scenario.model import Scenario

log = logging.getLogger(__name__)

Instrument = Callable[[str], contextlib.AbstractAsyncContextManager[Any]]
"""Called with the variant's name before each segment; entered around it, in the loop."""


@dataclass
class BenchOptions:
    out_root: Path = Path("reports")
    variant: str | None = None
    """Run only this variant (or "baseline")."""
    rounds: int | None = None
    """How many alternating rounds when comparing variants (default 3 with variants, else 1)."""
    live: bool = False
    ground_truth: bool = False
    """Save the simulator's ground-truth logs in the run folder."""
    instrument: Instrument | None = None
    """Entered inside the event loop around each segment (e.g. a CPU profiler)."""
    prices: Path | None = None
    run_dir: Path | None = None
    workers: int | None = None
    """Worker processes; None: from the scenario, else what the machine can use."""
    monitor: Any = None
    """A live exporter (Prometheus) fed every request and the layers' state."""
    on_progress: Callable[[dict[str, Any]], None] | None = None
    ray: str | None = None
    """Run the load on Ray actors: "local" starts a Ray instance here, else a cluster's
    address ("auto", "HOST:6379"); ``workers`` is then the number of actors."""


@dataclass
class RunOutcome:
    run_dir: Path
    summary: dict[str, Any]
    interrupted: bool = False
    failed_thresholds: list[dict[str, Any]] = field(default_factory=list)
    budget_error: str | None = None


@dataclass
class VariantState:
    name: str
    scenario: Scenario
    queries: list[Query]
    stack: Any = None
    segments: list[SegmentResult] = field(default_factory=list)
    next_idx: int = 0


def select_variants(loaded: LoadedScenario, only: str | None) -> dict[str, Scenario]:
    if only is None:
        return dict(loaded.variants)
    if only not in loaded.variants:
        known = ", ".join(loaded.variants)
        raise UsageError(f"no variant named {only!r} in {loaded.path} (known: {known})")
    return {only: loaded.variants[only]}


def plan_segments(names: list[str], rounds: int) -> list[tuple[int, str]]:
    """Variants alternate in rounds, reversing order each round (ABBA), so drift of the
    machine over time does not favour whichever runs first."""
    order: list[tuple[int, str]] = []
    for r in range(rounds):
        seq = names if r % 2 == 0 else list(reversed(names))
        order.extend((r, name) for name in seq)
    return order


def default_workers(variants: dict[str, Scenario]) -> int:
    """What the machine can use: every core, less one for the simulator when it runs here."""
    import os

    for scenario in variants.values():
        if scenario.load.workers:
            return scenario.load.workers
    simulated = any(p.kind == "simulated" for sc in variants.values() for p in sc.providers)
    return max(1, (os.cpu_count() or 1) - (1 if simulated else 0))


def run_bench(loaded: LoadedScenario, options: BenchOptions) -> RunOutcome:
    from raafperf.engine.summary import build_summary, save_samples
    from raafperf.record.spill import Spill
    from raafperf.record.store import new_run_dir, write_summary

    variants = select_variants(loaded, options.variant)
    ray_runner = None
    if options.ray is not None:
        from raafperf.engine.ray_run import RayRunner

        # Connects now, before any simulator starts (a local instance takes seconds).
        ray_runner = RayRunner(options.ray, options.workers, variants)
    workers = options.workers or default_workers(variants)
    run_dir = options.run_dir or new_run_dir(options.out_root, loaded.scenario.name)
    started_at = dt.datetime.now(dt.UTC)
    t0_ns = time.perf_counter_ns()
    from raafperf.engine.costing import load_price_table

    # One price table for the whole run: per-call costs, the router, the cache and the summary.
    price_table = load_price_table(prices_path(loaded, options.prices))
    recorder = Recorder(
        t0_ns,
        cost_fn=cost_function(variants, price_table),
        spill=Spill(run_dir / "parts") if workers == 1 and ray_runner is None else None,
        on_request=options.monitor.on_request if options.monitor else None,
    )
    states = {
        name: VariantState(name, sc, build_query_pool(loaded, sc)) for name, sc in variants.items()
    }
    if options.monitor is not None:
        from raafperf.monitor import stack_state

        options.monitor.set_state_source(
            lambda: {
                name: stack_state(s.stack)
                for name, s in list(states.items())
                if s.stack is not None
            }
        )
    windowed = has_time_windows(variants)
    # A timed outage must happen inside each variant's run: such scenarios run each variant
    # whole, in turn, against a simulator of its own whose clock starts with it.
    rounds = options.rounds or (1 if windowed or len(states) <= 1 else 3)
    groups = [[name] for name in states] if windowed else [list(states)]
    gt_dir = run_dir / "groundtruth" if options.ground_truth else None
    interrupted = False
    stats: dict[str, dict[str, Any]] = {}
    try:
        for group in groups:
            if interrupted or any(
                (stats.get(n) or {}).get("budget", {}).get("exceeded") for n in stats
            ):
                break
            part = {name: states[name] for name in group}
            gt = gt_dir / group[0] if gt_dir is not None and windowed else gt_dir
            with SimulatorSet(
                {n: variants[n] for n in group}, seed=loaded.scenario.load.seed, ground_truth_dir=gt
            ) as eps:
                if ray_runner is not None:
                    interrupted = ray_runner.run(
                        loaded, part, eps, rounds, recorder, stats, options=options
                    )
                elif workers > 1:
                    from raafperf.engine.workers import run_in_workers

                    interrupted = run_in_workers(
                        loaded, part, eps, rounds, recorder, stats, workers=workers, options=options
                    )
                else:
                    interrupted = run_loop(
                        run_variants(
                            part,
                            eps,
                            rounds,
                            recorder,
                            stats,
                            instrument=options.instrument,
                            on_progress=options.on_progress,
                            price_table=price_table,
                        )
                    )
    finally:
        if ray_runner is not None:
            ray_runner.close()
            workers = ray_runner.actors or workers
        # Samples first: whatever happens while summarising, nothing measured is lost.
        save_samples(run_dir, recorder)
        summary = build_summary(
            loaded,
            states,
            stats,
            recorder,
            run_dir=run_dir,
            started_at=started_at,
            interrupted=interrupted,
            rounds=rounds,
            workers=workers,
            price_table=price_table,
        )
        if ray_runner is not None:
            summary["cluster"] = ray_runner.cluster
        write_summary(run_dir, summary)
    try:
        from raafperf.history import index_run

        index_run(run_dir, summary)
    except RaafperfError as exc:  # the run is saved; only its history entry is missing
        log.warning("run history not updated: %s", exc)
    failed = [
        t
        for v in summary["variants"].values()
        for t in v.get("thresholds", [])
        if t.get("passed") is False and v.get("gated", True)
    ]
    return RunOutcome(
        run_dir=run_dir,
        summary=summary,
        interrupted=interrupted,
        failed_thresholds=failed,
        budget_error=_budget_error(summary),
    )


def _budget_error(summary: dict[str, Any]) -> str | None:
    for v in summary["variants"].values():
        budget = v.get("budget") or {}
        if budget.get("exceeded"):
            done = v["requests"]["total"]
            return (
                f"per-run budget of ${budget['limit_usd']:,.4f} spent (${budget['spent_usd']:,.4f}"
                f") after {done:,} requests; the run stopped early and its samples were kept"
            )
    return None


def has_time_windows(variants: dict[str, Scenario]) -> bool:
    """Does a simulated provider have a fault bound to a time window (an outage)?"""
    for scenario in variants.values():
        for provider in scenario.providers:
            if provider.kind != "simulated":
                continue
            for fault in provider.sim.faults:
                if fault.start_s is not None or fault.end_s is not None:
                    return True
    return False


def run_loop(coro: Any) -> Any:
    """Run on uvloop where installed (the fastest loop available)."""
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        return runner.run(coro)


SegmentSync = Callable[[int], Awaitable[int | None]]
"""Called before each segment with its number; returns the perf_counter_ns to start at."""


async def run_variants(
    states: dict[str, VariantState],
    endpoints: dict[str, Any],
    rounds: int,
    recorder: Recorder,
    stats: dict[str, dict[str, Any]],
    *,
    worker: int = 0,
    workers: int = 1,
    instrument: Instrument | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    sync: SegmentSync | None = None,
    stop: asyncio.Event | None = None,
    price_table: Any = None,
) -> bool:
    """Run every segment of every variant (this worker's share); True when interrupted."""
    from raafperf.engine.stack import build_stack
    from raafperf.profiling.gc_run import GcRun

    gc_runs = {name: GcRun(state.scenario.gc) for name, state in states.items()}

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    limit = next(iter(states.values())).scenario.budget.per_run_usd if states else None
    if limit is not None and recorder.budget is None:
        from raafperf.cost.budget import RunBudget

        # Each worker keeps its share of the run's budget; together they keep all of it.
        recorder.budget = RunBudget(limit / workers)
        recorder.on_over_budget = stop.set
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, _on_interrupt, stop)
    progress = _start_progress(on_progress, recorder, states, stop)
    from raafperf.engine.health import LoopLagMonitor

    lag_monitor = LoopLagMonitor()
    lag_monitor.start()
    try:
        for name, state in states.items():
            state.stack = build_stack(
                state.scenario,
                endpoints[name],
                seed=state.scenario.load.seed + worker,
                price_table=price_table,
            )
        for number, (rnd, name) in enumerate(plan_segments(list(states), rounds)):
            if stop.is_set():
                break
            state = states[name]
            plan = segment_plan(state, rnd, rounds, worker, workers)
            gc_run = gc_runs[name]
            gc_run.start()  # the variant's GC mode, and one full collection before its start
            try:
                start_at = await sync(number) if sync is not None else None
                if plan is None:
                    continue
                plan.start_at_ns = start_at
                plan.on_measure = gc_run.warmup_done
                if not state.segments:
                    mark = getattr(state.stack.router, "mark_start", None)
                    if mark is not None:
                        mark()
                execute = _executor(state)
                instrument_cm = instrument(name) if instrument else contextlib.nullcontext()
                async with _async_cm(instrument_cm):
                    result = await run_segment(plan, state.queries, execute, recorder, stop)
            finally:
                gc_run.stop()
            state.segments.append(result)
            state.next_idx += result.started
    finally:
        await lag_monitor.stop()
        loop_lag = lag_monitor.summary()
        for name, state in states.items():
            if state.stack is not None:
                with contextlib.suppress(Exception):
                    stats[name] = await state.stack.stats()
                with contextlib.suppress(Exception):
                    await state.stack.aclose()
            stats.setdefault(name, {})["event_loop_lag_ms"] = loop_lag
            stats[name]["gc"] = gc_runs[name].raw(worker)
            if recorder.budget is not None:
                stats[name]["budget"] = {
                    "limit_usd": recorder.budget.limit_usd,
                    "spent_usd": recorder.budget.spent,
                    "exceeded": recorder.budget.exceeded,
                    "unpriced_calls": recorder.budget.unpriced_calls,
                }
        if progress is not None:
            progress.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)
    return stop.is_set() and not (recorder.budget is not None and recorder.budget.exceeded)


def _on_interrupt(stop: asyncio.Event) -> None:
    if stop.is_set():
        # A second Ctrl-C: the user wants out now; what was recorded is still saved.
        raise KeyboardInterrupt
    stop.set()


@contextlib.asynccontextmanager
async def _async_cm(cm: Any) -> Any:
    if hasattr(cm, "__aenter__"):
        async with cm:
            yield
    else:
        with cm:
            yield


def segment_plan(
    state: VariantState, rnd: int, rounds: int, worker: int = 0, workers: int = 1
) -> SegmentPlan | None:
    """This worker's share of one round of one variant: requests, users and rate divided so
    that the workers together produce what the scenario asks."""
    load = state.scenario.load
    requests = None
    warmup = split_evenly(load.warmup, workers)[worker] if rnd == 0 else 0
    if load.requests is not None:
        requests = split_evenly(split_evenly(load.requests, rounds)[rnd], workers)[worker]
        requests += warmup
        if requests == 0:
            return None
    concurrency = None
    if load.concurrency is not None:
        concurrency = split_evenly(load.concurrency, workers)[worker]
        if concurrency == 0:
            return None
    rate = load.rate / workers if load.rate is not None else None
    duration = load.duration / rounds if load.duration else None
    return SegmentPlan(
        variant=state.name,
        mode=load.mode,
        concurrency=concurrency,
        rate=rate,
        arrival=load.arrival,
        requests=requests,
        warmup=warmup,
        duration=duration,
        seed=load.seed + rnd * 7919 + worker * 104_729,
        worker=worker,
        idx_offset=state.next_idx,
        max_in_flight=max(1, load.max_in_flight // workers),
        phase_offset=worker / workers,
    )


def _executor(state: VariantState) -> Any:
    agents = state.stack.agents

    async def execute(query: Query, request_id: str) -> Any:
        async with agents.acquire(query.agent) as runner:
            return await runner.run(query.item, request_id=request_id, context=query.item.context)

    return execute


def prices_path(loaded: LoadedScenario, prices_override: Path | None) -> Path | None:
    if prices_override is not None:
        return prices_override
    return loaded.resolve(loaded.scenario.prices) if loaded.scenario.prices else None


def cost_function(variants: dict[str, Scenario], price_table: Any) -> Any:
    from raafperf.engine.costing import make_cost_function

    multipliers = {p.name: p.price_multiplier for sc in variants.values() for p in sc.providers}
    return make_cost_function(price_table, multipliers)


def _start_progress(
    on_progress: Callable[[dict[str, Any]], None] | None,
    recorder: Recorder,
    states: dict[str, VariantState],
    stop: asyncio.Event,
) -> Any:
    if on_progress is None:
        return None
    total = 0
    for state in states.values():
        load = state.scenario.load
        total += (load.requests or 0) + load.warmup
    callback = on_progress

    async def tick() -> None:
        # Requests per second over the last ~2 s: steady enough to read, recent enough to move.
        history: collections.deque[tuple[float, int]] = collections.deque(maxlen=8)
        while True:
            await asyncio.sleep(0.25)
            live = recorder.live
            now = time.perf_counter()
            history.append((now, live.done))
            t_old, done_old = history[0]
            rate = (live.done - done_old) / (now - t_old) if now > t_old else 0.0
            recent = sorted(live.recent_e2e_ms[-200:])
            p50 = recent[(len(recent) - 1) // 2] if recent else None
            callback(
                {
                    "done": live.done,
                    "total": total or None,
                    "errors": live.errors,
                    "rps": rate,
                    "p50_ms": p50,
                    "in_flight": live.in_flight,
                    "stopping": stop.is_set(),
                }
            )

    return asyncio.ensure_future(tick())
