"""In-process backend: an LRU bounded by bytes, with TTL; lives as long as the run."""

from __future__ import annotations

from collections import OrderedDict

from raafperf.cache.backends.base import Selector
from raafperf.cache.entry import CacheEntry


class MemoryBackend:
    name = "memory"

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.evictions = 0
        self.expirations = 0
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._semantic: dict[str, OrderedDict[str, bytes]] = {}
        self._sem_owner: dict[str, str] = {}  # entry key -> scope of its semantic record
        self._bytes = 0

    def location(self) -> str:
        return "memory"

    async def get(self, key: str, now: float) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= now:
            self._remove(key)
            self.expirations += 1
            return None
        self._entries.move_to_end(key)
        return entry

    async def put(self, key: str, entry: CacheEntry, now: float) -> bool:
        if not entry.size:
            entry.to_bytes()  # sets entry.size: the bound counts what a store would hold
        cost = entry.size + len(key)
        if self.max_bytes is not None and cost > self.max_bytes:
            return False
        if key in self._entries:
            self._remove(key)
        self._entries[key] = entry
        self._bytes += cost
        self._evict(keep=key)
        return True

    async def sem_put(
        self, scope: str, key: str, record: bytes, expires_at: float, now: float
    ) -> None:
        if key not in self._entries:
            return
        old_scope = self._sem_owner.pop(key, None)
        if old_scope is not None:
            self._drop_record(old_scope, key)
        self._semantic.setdefault(scope, OrderedDict())[key] = record
        self._sem_owner[key] = scope
        self._bytes += len(record)
        self._evict(keep=key)

    async def sem_keys(self, scope: str, limit: int) -> list[str]:
        records = self._semantic.get(scope)
        if not records:
            return []
        out: list[str] = []
        for key in reversed(records):
            out.append(key)
            if len(out) >= limit:
                break
        return out

    async def sem_get(self, scope: str, keys: list[str]) -> dict[str, bytes]:
        records = self._semantic.get(scope) or {}
        return {k: records[k] for k in keys if k in records}

    async def sem_drop(self, scope: str, key: str) -> None:
        if self._sem_owner.get(key) == scope:
            del self._sem_owner[key]
        self._drop_record(scope, key)

    async def entries(self) -> list[tuple[str, CacheEntry]]:
        return list(self._entries.items())

    async def delete(self, selector: Selector) -> int:
        doomed = [k for k, e in self._entries.items() if selector.matches(e)]
        for key in doomed:
            self._remove(key)
        return len(doomed)

    async def size(self) -> tuple[int, int]:
        return self.size_now()

    def size_now(self) -> tuple[int, int]:
        return len(self._entries), self._bytes

    async def aclose(self) -> None:
        return None

    def _drop_record(self, scope: str, key: str) -> None:
        records = self._semantic.get(scope)
        if records is None:
            return
        record = records.pop(key, None)
        if record is not None:
            self._bytes -= len(record)
        if not records:
            del self._semantic[scope]

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.size + len(key)
        scope = self._sem_owner.pop(key, None)
        if scope is not None:
            self._drop_record(scope, key)

    def _evict(self, keep: str) -> None:
        if self.max_bytes is None:
            return
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            oldest = next(iter(self._entries))
            if oldest == keep:
                self._entries.move_to_end(oldest)
                continue
            self._remove(oldest)
            self.evictions += 1
