"""Helpers shared by the distributed tests."""

from __future__ import annotations

from typing import Any


def only_hits(requests: Any) -> list[tuple[int, int]]:
    """(worker, query) pairs that never missed: every answer came from entries another
    worker stored (a worker's first request of a query misses unless the cache is shared)."""
    pairs = []
    for (worker, query), rows in requests.groupby(["worker", "query"]):
        if set(rows["cache"].astype(str)) == {"hit"}:
            pairs.append((int(worker), int(query)))
    return pairs
