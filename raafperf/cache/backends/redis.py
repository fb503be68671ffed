"""Redis backend: a real server shared by processes and machines (redis.asyncio).

Entries are strings ``<ns>:e:<key>`` with a native TTL; semantic records are hashes
``<ns>:s:<scope>``. The size bound is the server's own ``maxmemory`` policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from raafperf.cache.backends.base import Selector
from raafperf.cache.entry import CacheEntry


def redact_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class RedisBackend:
    name = "redis"

    def __init__(self, url: str, *, namespace: str = "raafperf") -> None:
        import redis.asyncio as aioredis

        self.url = url
        self.ns = namespace
        self.evictions = 0
        self.expirations = 0
        self._r: Any = aioredis.Redis.from_url(url, socket_connect_timeout=5)

    def location(self) -> str:
        return redact_url(self.url)

    def _ek(self, key: str) -> str:
        return f"{self.ns}:e:{key}"

    def _sk(self, scope: str) -> str:
        return f"{self.ns}:s:{scope}"

    async def ping(self) -> None:
        await self._r.ping()

    async def get(self, key: str, now: float) -> CacheEntry | None:
        data = await self._r.get(self._ek(key))
        if data is None:
            return None
        entry = CacheEntry.from_bytes(data)
        if entry.expires_at <= now:
            await self._r.unlink(self._ek(key))
            self.expirations += 1
            return None
        return entry

    async def put(self, key: str, entry: CacheEntry, now: float) -> bool:
        value = entry.to_bytes()
        ttl_ms = max(1, int((entry.expires_at - now) * 1000))
        await self._r.set(self._ek(key), value, px=ttl_ms)
        return True

    async def sem_put(
        self, scope: str, key: str, record: bytes, expires_at: float, now: float
    ) -> None:
        ttl = max(1, int(expires_at - now) + 1)
        hk = self._sk(scope)
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hset(hk, key, record)
            pipe.expire(hk, ttl, nx=True)
            pipe.expire(hk, ttl, gt=True)
            await pipe.execute()

    async def sem_keys(self, scope: str, limit: int) -> list[str]:
        keys = await self._r.hkeys(self._sk(scope))
        return [k.decode() for k in keys[-limit:]]

    async def sem_get(self, scope: str, keys: list[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        values = await self._r.hmget(self._sk(scope), keys)
        return {k: v for k, v in zip(keys, values, strict=True) if v is not None}

    async def sem_drop(self, scope: str, key: str) -> None:
        await self._r.hdel(self._sk(scope), key)

    async def _entry_keys(self) -> list[bytes]:
        return [k async for k in self._r.scan_iter(match=f"{self.ns}:e:*", count=1000)]

    async def entries(self) -> list[tuple[str, CacheEntry]]:
        keys = await self._entry_keys()
        out: list[tuple[str, CacheEntry]] = []
        cut = len(self.ns) + 3
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for k, v in zip(chunk, await self._r.mget(chunk), strict=True):
                if v is not None:
                    out.append((k.decode()[cut:], CacheEntry.from_bytes(v)))
        return out

    async def delete(self, selector: Selector) -> int:
        doomed = [(k, e) for k, e in await self.entries() if selector.matches(e)]
        if not doomed:
            return 0
        async with self._r.pipeline(transaction=False) as pipe:
            for key, entry in doomed:
                pipe.unlink(self._ek(key))
                if entry.scope:
                    pipe.hdel(self._sk(entry.scope), key)
            await pipe.execute()
        if selector.everything:
            stale = [k async for k in self._r.scan_iter(match=f"{self.ns}:s:*", count=1000)]
            if stale:
                await self._r.unlink(*stale)
        return len(doomed)

    async def size(self) -> tuple[int, int]:
        pairs = await self.entries()
        total = sum(e.size + len(k) for k, e in pairs)
        scopes = {e.scope for _, e in pairs if e.scope}
        for scope in scopes:
            records = await self._r.hgetall(self._sk(scope))
            total += sum(len(v) for v in records.values())
        return len(pairs), total

    async def aclose(self) -> None:
        await self._r.aclose()
