"""One worker's share of a run, as a local worker process or a Ray actor runs it.

The same engine as a one-process run (``run_variants`` with ``worker``/``workers``); around
it, what both kinds of worker need: rows sent in chunks as they are recorded (after each
segment and every ``flush_s`` seconds), so a worker that dies loses at most the rows of its
last few seconds, and a final result with the layers' statistics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from raafperf.engine.merge import Chunk, WorkerResult
from raafperf.record.recorder import Recorder, new_calls_table, new_requests_table

FLUSH_S = 2.0
"""How often a worker sends the rows it recorded since its previous chunk."""

Barrier = Callable[[int], Awaitable[int | None]]
"""Called before segment ``number``; returns the perf_counter_ns at which to start it."""


class WorkerShare:
    """Worker ``worker`` of ``workers``: its variants, recorder and outbox of unsent rows."""

    def __init__(
        self,
        worker: int,
        workers: int,
        specs: dict[str, Any],
        rounds: int,
        t0_ns: int,
        loaded: Any,
        prices: Path | None,
        *,
        flush_s: float = FLUSH_S,
    ) -> None:
        from raafperf.engine.bench import VariantState, cost_function, prices_path
        from raafperf.engine.costing import load_price_table

        self.worker = worker
        self.workers = workers
        self.rounds = rounds
        self.loaded = loaded
        self.prices = prices
        self.flush_s = flush_s
        self.states = {
            name: VariantState(name, sc, queries) for name, (sc, queries) in specs.items()
        }
        self.price_table = load_price_table(prices_path(loaded, prices))
        self.recorder = Recorder(
            t0_ns,
            cost_fn=cost_function(
                {name: s.scenario for name, s in self.states.items()}, self.price_table
            ),
        )
        self.stats: dict[str, dict[str, Any]] = {}
        self._sent_segments = dict.fromkeys(self.states, 0)
        self._last_flush = time.monotonic()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_early = False

    def request_stop(self) -> None:
        """Stop as a Ctrl-C would (in-flight requests cancelled, what was measured sent).
        Safe to call from any thread, before or during the run."""
        self._stop_early = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the run is over
                loop.call_soon_threadsafe(stop.set)

    def take_chunk(self) -> Chunk:
        """The rows and finished segments recorded since the previous chunk. The recorder's
        buffers are handed over, not copied: a worker keeps no row it has sent."""
        rec = self.recorder
        # Called from the event loop between requests, never inside Recorder.record().
        chunk = Chunk(worker=self.worker, requests=rec.requests, calls=rec.calls)
        rec.requests, rec.calls = new_requests_table(), new_calls_table()
        for name, state in self.states.items():
            new = state.segments[self._sent_segments[name] :]
            if new:
                chunk.segments[name] = list(new)
                self._sent_segments[name] = len(state.segments)
        self._last_flush = time.monotonic()
        from raafperf.monitor import stack_state

        chunk.live_state = {
            name: stack_state(s.stack) for name, s in self.states.items() if s.stack is not None
        }
        return chunk

    def run(
        self,
        endpoints: dict[str, Any],
        *,
        barrier: Barrier | None,
        send: Callable[[Chunk], None],
        report: Callable[[dict[str, Any]], None],
    ) -> WorkerResult:
        """Run the share; chunks go to ``send`` as they are due, progress to ``report``.
        Never raises: a failure is the result's ``error``, with the rows recorded until
        then."""
        from raafperf.engine.bench import run_loop, run_variants

        result = WorkerResult(worker=self.worker)

        async def sync(number: int) -> int | None:
            chunk = self.take_chunk()
            if len(chunk.requests) or chunk.segments:
                send(chunk)
            return await barrier(number) if barrier is not None else None

        async def main() -> bool:
            stop = self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            if self._stop_early:
                stop.set()

            def progress(state: dict[str, Any]) -> None:
                report(state)
                if time.monotonic() - self._last_flush >= self.flush_s:
                    chunk = self.take_chunk()
                    if len(chunk.requests) or chunk.segments:
                        send(chunk)

            return await run_variants(
                self.states,
                endpoints,
                self.rounds,
                self.recorder,
                self.stats,
                worker=self.worker,
                workers=self.workers,
                sync=sync,
                on_progress=progress,
                stop=stop,
                price_table=self.price_table,
            )

        try:
            result.interrupted = run_loop(main())
        except KeyboardInterrupt:
            result.interrupted = True
            result.error = "stopped by a second Ctrl-C"
        except BaseException as exc:  # report the failure with whatever was recorded
            traceback.print_exc(limit=8)
            result.error = f"{exc.__class__.__name__}: {exc}"[:300]
        finally:
            self._loop = None
        final = self.take_chunk()
        result.requests = final.requests
        result.calls = final.calls
        result.segments = final.segments
        result.stats = self.stats
        return result
