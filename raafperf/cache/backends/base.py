"""What every cache backend offers, so that memory, SQLite and Redis behave the same.

Expiry is decided against the caller's clock (``now``, wall seconds) on every read, on all
three backends alike; Redis also gets a native TTL so that stale keys leave the server.
Semantic records (query text and its embedding) live next to the entries, per scope.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Protocol

from raafperf.cache.entry import CacheEntry


@dataclass(frozen=True, slots=True)
class Selector:
    """Which entries an invalidation removes: every given field must match.

    ``pattern`` is a shell-style glob (``*weather*``) over the cached query, case-insensitive.
    """

    agent: str | None = None
    model: str | None = None
    pattern: str | None = None

    def matches(self, entry: CacheEntry) -> bool:
        if self.agent is not None and entry.agent != self.agent:
            return False
        if self.model is not None and entry.model != self.model:
            return False
        if self.pattern is not None:
            return fnmatch.fnmatch(entry.query.lower(), self.pattern.lower())
        return True

    @property
    def everything(self) -> bool:
        return self.agent is None and self.model is None and self.pattern is None


def pack_semantic(query: str, vector: bytes) -> bytes:
    """A semantic record: the float32 embedding, then the query text (UTF-8). The vector
    comes first so a lookup slices it without decoding every stored query."""
    return vector + query.encode()


def unpack_semantic(record: bytes, dim: int) -> tuple[str, bytes]:
    """(query, vector) of a record whose vector has ``dim`` float32 values."""
    cut = dim * 4
    return record[cut:].decode(errors="replace"), record[:cut]


class Backend(Protocol):
    name: str
    evictions: int
    """Entries removed to stay under the size bound."""
    expirations: int
    """Entries found past their TTL and dropped."""

    def location(self) -> str:
        """Where the data lives, safe to print (no password)."""
        ...

    async def get(self, key: str, now: float) -> CacheEntry | None: ...

    async def put(self, key: str, entry: CacheEntry, now: float) -> bool:
        """Store an entry; False when it cannot fit at all."""
        ...

    async def sem_put(
        self, scope: str, key: str, record: bytes, expires_at: float, now: float
    ) -> None: ...

    async def sem_keys(self, scope: str, limit: int) -> list[str]:
        """Keys of up to ``limit`` semantic records of a scope, most recent first where known."""
        ...

    async def sem_get(self, scope: str, keys: list[str]) -> dict[str, bytes]:
        """The records of those keys that still exist."""
        ...

    async def sem_drop(self, scope: str, key: str) -> None: ...

    async def entries(self) -> list[tuple[str, CacheEntry]]:
        """Every stored entry with its key (for stats, invalidation and the CLI)."""
        ...

    async def delete(self, selector: Selector) -> int:
        """Remove matching entries (and their semantic records); how many went."""
        ...

    async def size(self) -> tuple[int, int]:
        """(entries, bytes) stored, semantic records included in bytes."""
        ...

    async def aclose(self) -> None: ...
