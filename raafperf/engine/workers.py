"""Split a run across worker processes, each with its own event loop and pools.

Closed-loop users, requests and open-loop rates are divided so that the workers together
produce what the scenario asks; every segment starts in all workers at the same instant
(a barrier, then a shared start time on the machine-wide monotonic clock). Workers send
their rows in chunks as they go (``raafperf.engine.share``); samples are merged exactly —
rows, not averages — so the report has the same form as a one-process run, and a worker
that dies is named in the report with what it had sent.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import signal
import threading
import time
from typing import Any

from raafperf.engine.merge import (
    Chunk,
    WorkerResult,
    assemble,
    merge_results,
    planned_shares,
)
from raafperf.record.recorder import Recorder

BARRIER_TIMEOUT_S = 3600.0
START_DELAY_NS = 20_000_000
"""Time between the barrier and a segment's start, so every worker is back in its loop."""

__all__ = ["BARRIER_TIMEOUT_S", "START_DELAY_NS", "WorkerResult", "run_in_workers"]


def run_in_workers(
    loaded: Any,
    states: dict[str, Any],
    endpoints: dict[str, Any],
    rounds: int,
    recorder: Recorder,
    stats: dict[str, dict[str, Any]],
    *,
    workers: int,
    options: Any,
) -> bool:
    """Run the variants in ``workers`` processes; merge into ``recorder``, ``states`` and
    ``stats``. Returns True when interrupted. A worker that dies is reported in ``stats``."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers, timeout=BARRIER_TIMEOUT_S)
    start_at = ctx.Value("q", 0, lock=False)
    counters = ctx.Array("q", workers * 3, lock=False)
    results: Any = ctx.Queue()
    specs = {name: (state.scenario, state.queries) for name, state in states.items()}
    procs = [
        ctx.Process(
            target=_worker_main,
            name=f"raafperf-worker-{w}",
            args=(
                w,
                workers,
                specs,
                endpoints,
                rounds,
                recorder.t0_ns,
                barrier,
                start_at,
                counters,
                results,
                loaded,
                options.prices,
            ),
            daemon=True,
        )
        for w in range(workers)
    ]
    # Ctrl-C reaches every process of the terminal's group; the workers stop themselves and
    # send what they measured, so the parent only waits.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for p in procs:
            p.start()
        collected = _collect(procs, results, barrier, counters, options, states)
    finally:
        signal.signal(signal.SIGINT, previous)
        for p in procs:
            if p.pid is None:
                continue  # never started (the start itself failed)
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    return merge_results(
        collected,
        workers,
        recorder,
        states,
        stats,
        backend="processes",
        planned=planned_shares(states, rounds, workers),
    )


def _collect(
    procs: list[Any],
    results: Any,
    barrier: Any,
    counters: Any,
    options: Any,
    states: dict[str, Any],
) -> dict[int, WorkerResult]:
    collected: dict[int, WorkerResult] = {}
    chunks: dict[int, list[Chunk]] = {w: [] for w in range(len(procs))}
    total = sum((s.scenario.load.requests or 0) + s.scenario.load.warmup for s in states.values())
    n = len(procs)
    last_done, last_t = 0, time.perf_counter()

    monitor = getattr(options, "monitor", None)

    def receive(item: Chunk | WorkerResult) -> None:
        if monitor is not None and item.requests is not None:
            from raafperf.monitor import feed_requests

            feed_requests(monitor, item.requests)
            monitor.set_in_flight(sum(counters[i * 3 + 2] for i in range(n)))
            if getattr(item, "live_state", None):
                monitor.update_remote(f"worker-{item.worker}", state=item.live_state)
        if isinstance(item, Chunk):
            chunks[item.worker].append(item)
            return
        collected[item.worker] = assemble(item.worker, chunks[item.worker], item)
        if len(collected) < n:
            # A worker that ended early (its budget share spent) never reaches the next
            # barrier: the others go on unsynchronised rather than wait for it.
            with contextlib.suppress(Exception):
                barrier.abort()

    while len(collected) < n:
        try:
            receive(results.get(timeout=0.25))
            continue
        except queue.Empty:
            pass
        for w, p in enumerate(procs):
            if w in collected or p.is_alive() or p.exitcode is None:
                continue
            # Give a late result or chunk a moment to arrive before declaring the worker lost.
            with contextlib.suppress(queue.Empty):
                while w not in collected:
                    receive(results.get(timeout=1.0))
            if w not in collected:
                collected[w] = assemble(
                    w,
                    chunks[w],
                    None,
                    error=(f"worker process exited with code {p.exitcode} before it finished"),
                )
                with contextlib.suppress(Exception):
                    barrier.abort()
        if options.on_progress is not None:
            done = sum(counters[i * 3] for i in range(n))
            now = time.perf_counter()
            rate = (done - last_done) / (now - last_t) if now > last_t else 0.0
            last_done, last_t = done, now
            options.on_progress(
                {
                    "done": done,
                    "total": total or None,
                    "errors": sum(counters[i * 3 + 1] for i in range(n)),
                    "in_flight": sum(counters[i * 3 + 2] for i in range(n)),
                    "rps": rate,
                    "p50_ms": None,
                    "stopping": False,
                }
            )
    return collected


def _worker_main(
    worker: int,
    workers: int,
    specs: dict[str, Any],
    endpoints: dict[str, Any],
    rounds: int,
    t0_ns: int,
    barrier: Any,
    start_at: Any,
    counters: Any,
    results: Any,
    loaded: Any,
    prices: Any,
) -> None:
    import asyncio

    from raafperf.engine.share import WorkerShare

    share = WorkerShare(worker, workers, specs, rounds, t0_ns, loaded, prices)

    async def sync(number: int) -> int | None:
        try:
            index = await asyncio.to_thread(barrier.wait)
            if index == 0:
                start_at.value = time.perf_counter_ns() + START_DELAY_NS
            await asyncio.to_thread(barrier.wait)
            return int(start_at.value)
        except threading.BrokenBarrierError:
            return None  # a worker died or ended early: go on unsynchronised, never hang

    def progress(state: dict[str, Any]) -> None:
        counters[worker * 3] = state["done"]
        counters[worker * 3 + 1] = state["errors"]
        counters[worker * 3 + 2] = state["in_flight"]

    result = share.run(
        endpoints, barrier=sync if workers > 1 else None, send=results.put, report=progress
    )
    results.put(result)
