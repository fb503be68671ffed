"""What really happened, one JSON line per request, written off the hot path.

Timestamps are ``time.perf_counter_ns()``: CLOCK_MONOTONIC on Linux, one clock for every
process on the machine, so they compare directly with the load generator's own stamps.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from raafperf.errors import UsageError

FLUSH_BATCH = 200


class GroundTruthLog:
    """Buffers records in memory; ``flush`` appends them to <dir>/<provider>.groundtruth.jsonl."""

    def __init__(self, directory: Path | None, provider: str) -> None:
        self.path = None if directory is None else Path(directory) / f"{provider}.groundtruth.jsonl"
        self._pending: list[dict[str, Any]] = []
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text("")
            except OSError as exc:
                raise UsageError(f"cannot write the ground truth to {self.path}: {exc}") from exc

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def add(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            self._pending.append(record)

    def flush(self) -> None:
        """Write everything pending now (blocking; used at stop)."""
        if self.path is None or not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.path.open("a") as fh:
            fh.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in pending)

    async def flush_gently(self) -> None:
        """Write pending records in small batches, yielding so token timing is not disturbed."""
        if self.path is None or not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.path.open("a") as fh:
            for i in range(0, len(pending), FLUSH_BATCH):
                batch = pending[i : i + FLUSH_BATCH]
                fh.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in batch))
                await asyncio.sleep(0)


def read_ground_truth(path: Path) -> list[dict[str, Any]]:
    """Load a ground-truth file written by the simulator."""
    with Path(path).open() as fh:
        return [json.loads(line) for line in fh if line.strip()]
