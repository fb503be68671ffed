"""The generator's own health: how late its event loop wakes up while the load runs.

A loop that wakes up late delays every timestamp it takes; when that lag grows, the
client — not the target — is the limit, and the report says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from array import array
from typing import Any

INTERVAL_S = 0.02


class LoopLagMonitor:
    """Sleeps a fixed interval and records how much later than asked it woke up."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.lags_ms = array("d")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        interval = self.interval_s
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            self.lags_ms.append(max(0.0, (time.perf_counter() - before - interval) * 1000))

    def summary(self) -> dict[str, Any]:
        from raafperf.analysis.stats import describe

        return describe(self.lags_ms)
