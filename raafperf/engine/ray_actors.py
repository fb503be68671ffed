"""The Ray side of a distributed run: one coordinator and one load actor per worker.

Imported only once Ray is known to be installed (``raafperf.engine.ray_run``).

- ``Coordinator`` (an async actor on the driver's node, no CPU): the segment barrier that
  hands out start times on its clock, the mailbox for the rows actors send as they go, their
  progress counters and the driver's stop request.
- ``LoadActor`` (one CPU each, placed by a SPREAD placement group): runs worker ``i`` of ``N``
  with the same engine as a local worker process (``raafperf.engine.share.WorkerShare``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ray

from raafperf.engine.merge import Chunk, WorkerResult
from raafperf.engine.rendezvous import SegmentBarrier, estimate_offset, local_start

START_DELAY_NS = 100_000_000
"""Between a barrier's release and the segment's start: the release must reach every node
and every actor must be back in its loop (a local worker process needs 20 ms)."""
BARRIER_TIMEOUT_S = 3600.0
PROGRESS_S = 0.5
CLOCK_SAMPLES = 8


def _where() -> dict[str, Any]:
    ctx = ray.get_runtime_context()
    return {
        "node_id": ctx.get_node_id(),
        "hostname": socket.gethostname(),
        "ip": ray.util.get_node_ip_address(),
        "pid": os.getpid(),
    }


@ray.remote(num_cpus=0)
class Coordinator:
    def __init__(self, parties: int, delay_ns: int = START_DELAY_NS) -> None:
        self._barrier = SegmentBarrier(range(parties))
        self._events: dict[int, asyncio.Event] = {}
        self._start: dict[int, int] = {}
        self._delay = delay_ns
        self._chunks: dict[int, list[Chunk]] = {}
        self._progress: dict[int, tuple[int, int, int]] = {}
        self._stop = asyncio.Event()

    async def where(self) -> dict[str, Any]:
        return _where()

    async def now(self) -> int:
        return time.perf_counter_ns()

    async def arrive(self, number: int, worker: int) -> int | None:
        """Wait until every actor still running is at segment ``number``; return its start
        time on this node's clock (None: gave up waiting, start unsynchronised)."""
        self._release(self._barrier.arrive(number, worker))
        if number not in self._start:
            event = self._events.setdefault(number, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), BARRIER_TIMEOUT_S)
            except TimeoutError:
                return None
        return self._start[number]

    async def drop(self, worker: int) -> None:
        """``worker`` has ended (finished, stopped early or died): stop waiting for it."""
        self._release(self._barrier.drop(worker))

    def _release(self, numbers: list[int]) -> None:
        for number in numbers:
            self._start[number] = time.perf_counter_ns() + self._delay
            self._events.setdefault(number, asyncio.Event()).set()

    async def deposit(self, chunk: Chunk) -> None:
        self._chunks.setdefault(chunk.worker, []).append(chunk)

    async def progress(self, worker: int, done: int, errors: int, in_flight: int) -> None:
        self._progress[worker] = (done, errors, in_flight)

    async def request_stop(self) -> None:
        self._stop.set()

    async def wait_stop(self) -> bool:
        """Returns once the driver asks every actor to stop (a Ctrl-C there)."""
        await self._stop.wait()
        return True

    async def snapshot(self) -> dict[str, Any]:
        values = list(self._progress.values())
        return {
            "done": sum(v[0] for v in values),
            "errors": sum(v[1] for v in values),
            "in_flight": sum(v[2] for v in values),
        }

    async def take_all(self) -> dict[int, list[Chunk]]:
        """The chunks received since the previous call, per worker, in order."""
        chunks, self._chunks = self._chunks, {}
        return chunks


@ray.remote
class LoadActor:
    def __init__(
        self,
        worker: int,
        workers: int,
        specs: dict[str, Any],
        rounds: int,
        t0_ns: int,
        loaded: Any,
        prices: tuple[str, bytes] | None,
        coordinator: Any,
    ) -> None:
        from raafperf.engine.share import WorkerShare

        self.worker = worker
        self.t0_ns = t0_ns
        self.coordinator = coordinator
        self.offset_ns = 0
        self.same_clock = True
        self.share = WorkerShare(worker, workers, specs, rounds, t0_ns, loaded, _local_copy(prices))

    def where(self) -> dict[str, Any]:
        return _where()

    def sync_clock(self, coordinator_node: str) -> dict[str, Any]:
        """Map this actor's clock onto the coordinator's (the driver's machine)."""
        self.same_clock = ray.get_runtime_context().get_node_id() == coordinator_node
        rtt = None
        if not self.same_clock:
            samples = []
            for _ in range(CLOCK_SAMPLES):
                send = time.perf_counter_ns()
                remote = ray.get(self.coordinator.now.remote())
                samples.append((send, remote, time.perf_counter_ns()))
            self.offset_ns, rtt = estimate_offset(samples)
        # Rows are stored relative to the run's start on the driver's clock.
        self.share.recorder.t0_ns = self.t0_ns - self.offset_ns
        return {
            "same_clock": self.same_clock,
            "clock_offset_ms": self.offset_ns / 1e6,
            "clock_rtt_ms": rtt / 1e6 if rtt is not None else None,
        }

    def run(self, endpoints: dict[str, Any]) -> WorkerResult:
        coordinator = self.coordinator
        worker = self.worker
        deposits: list[Any] = []
        state: dict[str, Any] = {"last": 0.0}
        # A stop asked for at the driver reaches this actor as soon as the coordinator
        # learns of it (Ray workers block SIGINT, so a signal cannot carry it).
        watcher = threading.Thread(
            target=self._watch_stop, daemon=True, name="raafperf-stop-watcher"
        )
        watcher.start()

        async def barrier(number: int) -> int | None:
            start = await asyncio.to_thread(ray.get, coordinator.arrive.remote(number, worker))
            receipt = time.perf_counter_ns()
            if start is None:
                return None
            if self.same_clock:
                return int(start)
            return local_start(int(start), self.offset_ns, receipt, START_DELAY_NS)

        def send(chunk: Chunk) -> None:
            deposits.append(coordinator.deposit.remote(chunk))
            if len(deposits) > 64:
                _, deposits[:] = ray.wait(deposits, num_returns=len(deposits), timeout=0)

        def report(progress: dict[str, Any]) -> None:
            now = time.monotonic()
            if now - state["last"] < PROGRESS_S:
                return
            state["last"] = now
            coordinator.progress.remote(
                worker, progress["done"], progress["errors"], progress["in_flight"]
            )

        result = self.share.run(endpoints, barrier=barrier, send=send, report=report)
        # Every chunk is in the coordinator's mailbox before the driver empties it.
        if deposits:
            ray.wait(deposits, num_returns=len(deposits), timeout=60)
        return result

    def _watch_stop(self) -> None:
        with contextlib.suppress(Exception):  # the coordinator is gone: the run is over
            if ray.get(self.coordinator.wait_stop.remote()):
                self.share.request_stop()


def _local_copy(prices: tuple[str, bytes] | None) -> Path | None:
    """The driver's price table, written on this node (its path may not exist here)."""
    if prices is None:
        return None
    name, data = prices
    folder = Path(tempfile.mkdtemp(prefix="raafperf-prices-"))
    path = folder / name
    path.write_bytes(data)
    return path
