"""Spilling recorded rows to Parquet parts while a run goes, so memory stays bounded.

The event loop only swaps buffers; a single writer thread turns them into Parquet parts.
At the end the parts are joined into one file per table, streaming row group by row group.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from raafperf.record.atomic import atomic_path
from raafperf.record.recorder import Table

DEFAULT_ROWS = 100_000


class Spill:
    def __init__(self, folder: Path, rows: int = DEFAULT_ROWS) -> None:
        self.folder = folder
        self.rows = rows
        self.parts = 0
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def hand_over(self, requests: Table, calls: Table) -> None:
        if self._pool is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raafperf-spill")
        self.parts += 1
        number = self.parts
        self._pending.append(self._pool.submit(self._write, number, requests, calls))

    def _write(self, number: int, requests: Table, calls: Table) -> None:
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(requests.to_arrow(), self.folder / f"requests.part{number:05d}.parquet")
        pq.write_table(calls.to_arrow(), self.folder / f"calls.part{number:05d}.parquet")

    def finish(self, requests: Table, calls: Table, out_requests: Path, out_calls: Path) -> None:
        """Write what is left and join every part into the two final files."""
        for future in self._pending:
            future.result()
        if self._pool is not None:
            self._pool.shutdown()
        if len(requests) or not self.parts:
            self.parts += 1
            self._write(self.parts, requests, calls)
        for name, target in (("requests", out_requests), ("calls", out_calls)):
            _join(sorted(self.folder.glob(f"{name}.part*.parquet")), target)
        for part in self.folder.glob("*.part*.parquet"):
            part.unlink()
        with contextlib.suppress(OSError):
            self.folder.rmdir()


def _join(parts: list[Path], target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(target) as tmp:
        writer = None
        try:
            for part in parts:
                table = pq.read_table(part)
                # Dictionary-encoded strings may differ per part: unify to plain strings.
                table = table.cast(
                    pa.schema(
                        [
                            f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f
                            for f in table.schema
                        ]
                    )
                )
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
