"""Cache backends: memory (default), sqlite (persists), redis (shared)."""

from __future__ import annotations

from raafperf.cache.backends.base import Backend, Selector, pack_semantic, unpack_semantic
from raafperf.cache.config import CacheConfig

__all__ = ["Backend", "Selector", "open_backend", "pack_semantic", "unpack_semantic"]


def open_backend(config: CacheConfig) -> Backend:
    """The backend a cache section names. Redis connects on first use."""
    if config.backend == "memory":
        from raafperf.cache.backends.memory import MemoryBackend

        return MemoryBackend(max_bytes=config.max_bytes)
    if config.backend == "sqlite":
        from raafperf.cache.backends.sqlite import SqliteBackend

        return SqliteBackend(config.path, namespace=config.namespace, max_bytes=config.max_bytes)
    from raafperf.cache.backends.redis import RedisBackend

    return RedisBackend(config.url, namespace=config.namespace)
