"""Sending at absolute deadlines on the perf_counter clock, for many streams at once.

One ``Ticker`` per event loop keeps a heap of deadlines and arms a single loop timer for
the earliest; each firing runs everything that is due. Hundreds of streams then cost one
timer per millisecond instead of one timer and one task wake-up per token, and a schedule
never accumulates sleep errors because every deadline is absolute.

On Linux the ticker wakes through a timerfd (microsecond precision, see ``timerfd``).
Elsewhere it falls back to loop timers, which are millisecond-grained: asyncio's epoll
rounds a wait up (never early); uvloop counts whole milliseconds from its own clock and
would fire up to ~1 ms early, so there the timer is aligned to the next millisecond
boundary after the deadline. A callback never runs before its deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

from raafperf.sim.timerfd import open_timerfd

_tickers: dict[asyncio.AbstractEventLoop, Ticker] = {}


class Ticker:
    """Runs callbacks at (or just after) perf_counter_ns deadlines."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[int, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._armed_for: int | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._grid = type(loop).__module__.startswith("uvloop")
        self._firing = False
        self._tfd = open_timerfd()
        if self._tfd is not None:
            loop.add_reader(self._tfd.fd, self._on_timerfd)

    def at(self, deadline_ns: int, callback: Callable[..., Any], *args: Any) -> None:
        heapq.heappush(self._heap, (deadline_ns, next(self._seq), callback, args))
        if not self._firing and (self._armed_for is None or deadline_ns < self._armed_for):
            self._arm(deadline_ns)

    def _on_timerfd(self) -> None:
        self._tfd.clear()  # type: ignore[union-attr]
        self._fire()

    def close(self) -> None:
        if self._tfd is not None:
            self._loop.remove_reader(self._tfd.fd)
            self._tfd.close()
            self._tfd = None

    def _arm(self, deadline_ns: int) -> None:
        self._armed_for = deadline_ns
        if self._tfd is not None:
            self._tfd.arm(deadline_ns)
            return
        if self._handle is not None:
            self._handle.cancel()
        loop = self._loop
        if self._grid:
            loop.time()  # refreshes libuv's cached clock before the timer is armed
            now = perf_counter_ns()
            ms = -(-deadline_ns // 1_000_000) - now // 1_000_000
            delay = (ms + 0.25) / 1000 if deadline_ns > now else 0
        else:
            delay = max(0, deadline_ns - perf_counter_ns()) / 1e9
        self._handle = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._armed_for = None
        self._firing = True
        heap = self._heap
        try:
            now = perf_counter_ns()
            while heap and heap[0][0] <= now:
                _, _, callback, args = heapq.heappop(heap)
                try:
                    callback(*args)
                except Exception as exc:  # one broken stream must not stop the others
                    self._loop.call_exception_handler(
                        {"message": "simulator timed callback failed", "exception": exc}
                    )
                if heap and heap[0][0] > now:
                    now = perf_counter_ns()
        finally:
            self._firing = False
        if heap:
            self._arm(heap[0][0])


def ticker() -> Ticker:
    """The ticker of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _tickers.get(loop)
    if found is None:
        for old in [k for k in _tickers if k.is_closed()]:  # tests start many loops
            _tickers.pop(old).close()
        found = _tickers[loop] = Ticker(loop)
    return found


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def sleep_until(deadline_ns: int) -> None:
    """Return at (or just after) ``deadline_ns``; at once when it has passed."""
    if perf_counter_ns() >= deadline_ns:
        return
    fut = asyncio.get_running_loop().create_future()
    ticker().at(deadline_ns, _wake, fut)
    await fut
