"""The load loop: closed loop (N users) or open loop (arrivals at a rate), one segment.

Open-loop latency is measured from each request's intended start, so a slow target cannot
hide behind a slow generator (coordinated omission); the lag between intended and actual
start is recorded per request. Closed-loop latency is measured from the actual start plus the
client's own overhead before its first request reached the socket (see
:class:`~raafperf.record.recorder.Recorder`): a user there waits for nothing but its previous
answer, so the generator's queueing would only be the generator's error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from raafperf.client import error_kinds
from raafperf.engine.schedule import QueryPicker, arrival_offsets
from raafperf.record.recorder import Recorder
from raafperf.scenario.loader import Query


class Outcome(Protocol):
    calls: list[Any]
    tools: list[Any]
    ok: bool
    error_kind: str | None
    turns: int


Execute = Callable[[Query, str], Awaitable[Outcome]]
"""(query, request_id) -> what the request did. Must not raise for provider faults."""


@dataclass(slots=True)
class SegmentPlan:
    variant: str
    mode: str
    concurrency: int | None
    rate: float | None
    arrival: str
    requests: int | None
    """Requests to start in this segment, warm-up included; None: bounded by duration."""
    warmup: int
    duration: float | None
    seed: int
    worker: int = 0
    idx_offset: int = 0
    max_in_flight: int = 10_000
    phase_offset: float = 0.0
    """Open loop, constant arrivals: this worker's share of the gap, so that several workers
    interleave into one evenly spaced stream."""
    start_at_ns: int | None = None
    """Absolute perf_counter_ns at which to begin (so several workers start together)."""
    on_measure: Callable[[], None] | None = None
    """Called once, as the segment's first measured (non-warm-up) request starts."""


@dataclass(slots=True)
class SegmentResult:
    started: int
    completed: int
    cancelled: int
    wall_s: float
    cpu_s: float
    max_in_flight: int
    interrupted: bool


@dataclass(slots=True)
class _Failed:
    """The outcome of a request whose execution raised: a bug, counted, never fatal."""

    error_kind: str
    calls: list[Any]
    tools: list[Any]
    ok: bool = False
    turns: int = 0
    downgraded: bool = False


async def run_segment(
    plan: SegmentPlan,
    queries: Sequence[Query],
    execute: Execute,
    recorder: Recorder,
    stop: asyncio.Event,
) -> SegmentResult:
    picker = QueryPicker([q.weight for q in queries], seed=plan.seed * 1_000_003 + plan.worker)
    if plan.start_at_ns is not None:
        delay = (plan.start_at_ns - time.perf_counter_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
    cpu0 = time.process_time()
    t0 = time.perf_counter_ns()
    deadline_ns = t0 + int(plan.duration * 1e9) if plan.duration else None
    state = _State()
    closed = plan.mode == "closed"

    async def one(i: int, intended_ns: int) -> None:
        qi = picker.next()
        query = queries[qi]
        idx = plan.idx_offset + i
        request_id = f"{plan.variant}-{plan.worker}-{idx}"
        if i == plan.warmup and plan.on_measure is not None:
            plan.on_measure()
        start_ns = time.perf_counter_ns()
        state.in_flight += 1
        recorder.live.in_flight = state.in_flight
        if state.in_flight > state.max_in_flight:
            state.max_in_flight = state.in_flight
        try:
            outcome: Any = await execute(query, request_id)
        except asyncio.CancelledError:
            state.cancelled += 1
            raise
        except Exception as exc:  # a bug in a layer must not end the run: count it
            outcome = _Failed(error_kind=error_kinds.INTERNAL, calls=[], tools=[])
            state.internal_errors.append(repr(exc))
        finally:
            state.in_flight -= 1
            recorder.live.in_flight = state.in_flight
        end_ns = time.perf_counter_ns()
        recorder.record(
            variant=plan.variant,
            idx=idx,
            phase="warmup" if i < plan.warmup else "measure",
            worker=plan.worker,
            agent=query.agent,
            query=qi,
            intended_ns=intended_ns,
            start_ns=start_ns,
            end_ns=end_ns,
            calls=outcome.calls,
            tools=outcome.tools,
            ok=outcome.ok,
            error_kind=outcome.error_kind,
            turns=outcome.turns,
            downgraded=getattr(outcome, "downgraded", False),
            agent_wait_ns=getattr(outcome, "agent_wait_ns", 0),
            origin_from_send=closed,
        )
        state.completed += 1

    try:
        if plan.mode == "closed":
            await _closed_loop(plan, one, stop, deadline_ns, state)
        else:
            await _open_loop(plan, one, stop, t0, deadline_ns, state)
    finally:
        wall_s = (time.perf_counter_ns() - t0) / 1e9
        cpu_s = time.process_time() - cpu0
    return SegmentResult(
        started=state.started,
        completed=state.completed,
        cancelled=state.cancelled,
        wall_s=wall_s,
        cpu_s=cpu_s,
        max_in_flight=state.max_in_flight,
        interrupted=stop.is_set(),
    )


class _State:
    __slots__ = (
        "cancelled",
        "completed",
        "in_flight",
        "internal_errors",
        "max_in_flight",
        "started",
    )

    def __init__(self) -> None:
        self.started = 0
        self.completed = 0
        self.cancelled = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.internal_errors: list[str] = []


async def _closed_loop(
    plan: SegmentPlan,
    one: Callable[[int, int], Awaitable[None]],
    stop: asyncio.Event,
    deadline_ns: int | None,
    state: _State,
) -> None:
    total = plan.requests

    async def user() -> None:
        while not stop.is_set():
            i = state.started
            if total is not None and i >= total:
                return
            now = time.perf_counter_ns()
            if deadline_ns is not None and now >= deadline_ns:
                return
            state.started += 1
            # Closed loop: a user is ready exactly when it starts, so intended == actual.
            await one(i, now)

    users = [asyncio.ensure_future(user()) for _ in range(plan.concurrency or 1)]
    await _wait_or_stop(users, stop)


async def _open_loop(
    plan: SegmentPlan,
    one: Callable[[int, int], Awaitable[None]],
    stop: asyncio.Event,
    t0: int,
    deadline_ns: int | None,
    state: _State,
) -> None:
    assert plan.rate is not None
    total = plan.requests
    tasks: set[asyncio.Task[None]] = set()
    room = asyncio.Event()
    room.set()

    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        room.set()

    async def schedule() -> None:
        shift = plan.phase_offset / plan.rate if plan.arrival == "constant" else 0.0
        for i, offset in enumerate(arrival_offsets(plan.rate, plan.arrival, plan.seed)):
            offset += shift
            if stop.is_set() or (total is not None and i >= total):
                return
            intended = t0 + int(offset * 1e9)
            if deadline_ns is not None and intended >= deadline_ns:
                return
            wait = (intended - time.perf_counter_ns()) / 1e9
            if wait > 0:
                await asyncio.sleep(wait)
            # A saturated target or generator shows as lag, never as a lower rate.
            while len(tasks) >= plan.max_in_flight and not stop.is_set():
                room.clear()
                await room.wait()
            state.started += 1
            task = asyncio.ensure_future(one(i, intended))
            tasks.add(task)
            task.add_done_callback(done)

    scheduler = asyncio.ensure_future(schedule())
    await _wait_or_stop([scheduler], stop)
    while tasks and not stop.is_set():
        await _wait_or_stop(list(tasks), stop)
    if stop.is_set():
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _wait_or_stop(tasks: list[asyncio.Future[Any]], stop: asyncio.Event) -> None:
    """Wait for the tasks; on a stop (Ctrl-C), cancel what is still in flight."""
    stopper = asyncio.ensure_future(stop.wait())
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(
                pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            if stopper in done:
                break
            pending.discard(stopper)
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception():
                    raise task.exception()  # type: ignore[misc]
        for task in pending:
            if task is not stopper:
                task.cancel()
        await asyncio.gather(*(t for t in pending if t is not stopper), return_exceptions=True)
    finally:
        stopper.cancel()
