"""The cache layer of the model-call stack: a :class:`ModelCaller` wrapping the next layer.

On a hit it answers from the store (``provider="cache"``, ``cache="hit"``, timing covering
just the lookup, the stored tokens so savings can be counted); on a miss it calls the inner
layer and stores a successful answer (never an error or a cut stream); a skipped request
carries ``cache="skip:<reason>"``. A broken backend never fails a call: the request goes
through as ``skip:backend_error`` and the error is counted.

The clock is the wall clock (``time.time``) by default, not a monotonic one: TTLs and time
buckets are shared with other processes and later runs through SQLite and Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

from raafperf.cache.backends import Backend, Selector, pack_semantic
from raafperf.cache.config import CacheConfig
from raafperf.cache.entry import CacheEntry
from raafperf.cache.keys import last_user_text, message_text, request_key, semantic_scope
from raafperf.cache.policy import CachePolicy
from raafperf.cache.semantic.embedders import Embedder
from raafperf.cache.semantic.index import VectorIndex
from raafperf.cache.semantic.matcher import choose
from raafperf.cache.stats import CacheStats, PriceFn
from raafperf.client.types import CallResult, ChatRequest, ModelCaller
from raafperf.errors import RunFailed

SKIP_BACKEND = "backend_error"


def _query_of(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


class CachedCaller:
    """Cache in front of ``inner``; also offers invalidation and statistics."""

    def __init__(
        self,
        inner: ModelCaller,
        backend: Backend,
        config: CacheConfig,
        *,
        policy: CachePolicy | None = None,
        embedder: Embedder | None = None,
        clock: Callable[[], float] = time.time,
        price_fn: PriceFn | None = None,
    ) -> None:
        self.inner = inner
        self.backend = backend
        self.config = config
        self.policy = policy or CachePolicy(config, clock=clock)
        self.embedder = embedder
        self._clock = clock
        self._aliases = config.model_aliases or None
        sem = config.semantic
        self._threshold = (
            sem.threshold
            if sem.threshold is not None
            else (embedder.default_threshold if embedder else 1.0)
        )
        self._guards = frozenset(sem.guards)
        self._stats = CacheStats(price_fn, sem.near_miss_examples)
        self._index = VectorIndex()
        self._size: tuple[int, int] | None = None
        self._last_error = ""
        self._closed = False

    # ---- the call path --------------------------------------------------------------------

    async def call(self, request: ChatRequest) -> CallResult:
        t0 = perf_counter_ns()
        reason = self.policy.skip_reason(request)
        if reason is not None:
            return await self._skip(request, reason, t0)
        key = scope = ""
        vector: Any = None
        query = None
        try:
            context = self.policy.context_values(request)
            key = request_key(
                request, aliases=self._aliases, normalize=self.policy.normalizer, context=context
            )
            entry = await self.backend.get(key, self._clock())
            if entry is not None:
                return self._serve(entry, t0, semantic=False)
            query = last_user_text(request)
            if self.embedder is not None and query:
                scope = semantic_scope(
                    request, self.embedder.id, aliases=self._aliases, context=context
                )
                vector = await self._embed(self.embedder, query)
                if vector is not None:
                    entry = await self._semantic_lookup(scope, query, vector)
                    if entry is not None:
                        return self._serve(entry, t0, semantic=True)
        except Exception as exc:  # the cache must never fail a call: count it and go on
            self._backend_error(exc)
            return await self._skip(request, SKIP_BACKEND, t0)
        t1 = perf_counter_ns()
        result = await self.inner.call(request)
        result.cache = "miss"
        result.stages_ns["cache_lookup"] = t1 - t0
        await self._store(request, result, key, scope, query, vector)
        self._stats.miss(perf_counter_ns() - t0, t1 - t0)
        return result

    async def _skip(self, request: ChatRequest, reason: str, t0: int) -> CallResult:
        lookup = perf_counter_ns() - t0
        result = await self.inner.call(request)
        result.cache = f"skip:{reason}"
        result.stages_ns["cache_lookup"] = lookup
        self._stats.skip(reason)
        return result

    def _serve(self, entry: CacheEntry, t0: int, *, semantic: bool) -> CallResult:
        end = perf_counter_ns()
        result = entry.to_result(start_ns=t0, end_ns=end, lookup_ns=end - t0)
        self._stats.hit(entry, end - t0, semantic=semantic)
        return result

    async def _embed(self, embedder: Embedder, query: str) -> Any:
        """The query's vector, or None when the embedder failed (the call goes on exact-only)."""
        t0 = perf_counter_ns()
        try:
            vector = await embedder.embed(query)
        except Exception as exc:  # an embedding endpoint's fault must not fail the call
            self._stats.embed_errors += 1
            self._last_error = f"embedding: {type(exc).__name__}: {exc}"[:300]
            return None
        self._stats.embed_ns.append(perf_counter_ns() - t0)
        return vector

    async def _semantic_lookup(self, scope: str, query: str, vector: Any) -> CacheEntry | None:
        candidates = await self._index.candidates(
            self.backend,
            scope,
            vector,
            limit=self.config.semantic.max_candidates,
            threshold=self._threshold,
        )
        if not candidates:
            return None
        decision = choose(
            query,
            candidates,
            threshold=self._threshold,
            margin=self.config.semantic.margin,
            guards=self._guards,
        )
        for near in decision.near_misses:
            self._stats.near_miss(near)
        if decision.match is None:
            return None
        entry = await self.backend.get(decision.match.key, self._clock())
        if entry is None:  # expired or evicted since it was indexed
            await self.backend.sem_drop(scope, decision.match.key)
            self._index.forget(scope)
        return entry

    async def _store(
        self,
        request: ChatRequest,
        result: CallResult,
        key: str,
        scope: str,
        query: str | None,
        vector: Any,
    ) -> None:
        if not result.ok or result.error_kind is not None:
            self._stats.not_stored["error"] += 1
            return
        t0 = perf_counter_ns()
        rule, ttl_s = self.policy.ttl(request)
        now = self._clock()
        entry = CacheEntry.from_result(
            result,
            agent=request.agent,
            query=query or _query_of(request),
            created_at=now,
            ttl_s=ttl_s,
            scope=scope if vector is not None else "",
        )
        try:
            if not await self.backend.put(key, entry, now):
                self._stats.not_stored["too_large"] += 1
                return
            if vector is not None and query:
                record = pack_semantic(query, vector.tobytes())
                await self.backend.sem_put(scope, key, record, entry.expires_at, now)
                self._index.add(scope, key, query, vector)
        except Exception as exc:
            self._backend_error(exc)
            self._stats.not_stored[SKIP_BACKEND] += 1
            return
        self._stats.stores += 1
        self._stats.ttl_rules[rule] += 1
        elapsed = perf_counter_ns() - t0
        self._stats.store_ns.append(elapsed)
        result.stages_ns["cache_store"] = elapsed

    def _backend_error(self, exc: Exception) -> None:
        self._stats.backend_errors += 1
        self._last_error = f"{type(exc).__name__}: {exc}"[:300]

    # ---- management -----------------------------------------------------------------------

    async def invalidate(
        self, *, agent: str | None = None, pattern: str | None = None, model: str | None = None
    ) -> int:
        """Remove entries by agent, by model and/or by a glob over the query; how many."""
        removed = await self.backend.delete(Selector(agent=agent, model=model, pattern=pattern))
        self._stats.invalidated += removed
        return removed

    async def clear(self) -> int:
        return await self.invalidate()

    async def check(self) -> None:
        """Raise :class:`RunFailed` when the backend cannot be reached (call before a run)."""
        try:
            await self.backend.size()
        except Exception as exc:
            raise RunFailed(
                f"the {self.backend.name} cache at {self.backend.location()} is unavailable:"
                f" {type(exc).__name__}: {exc}"
            ) from None

    async def refresh_size(self) -> None:
        try:
            self._size = await self.backend.size()
        except Exception as exc:
            self._backend_error(exc)

    def stats(self) -> dict[str, Any]:
        """Everything the report shows; sizes are as of the last refresh for Redis."""
        size_now = getattr(self.backend, "size_now", None)
        if size_now is not None and not self._closed:
            self._size = size_now()
        sem = self.config.semantic
        out: dict[str, Any] = {
            "enabled": True,
            "strategy": self.config.strategy,
            "backend": {"name": self.backend.name, "location": self.backend.location()},
            "context_dimensions": list(self.config.context.dimensions),
            "semantic": {
                "enabled": self.embedder is not None,
                "embedder": self.embedder.id if self.embedder else None,
                "threshold": self._threshold if self.embedder else None,
                "margin": sem.margin if self.embedder else None,
                "guards": sorted(self._guards) if self.embedder else None,
            },
        }
        out.update(self._stats.as_dict())
        out["evictions"] = self.backend.evictions
        out["expirations"] = self.backend.expirations
        out["size"] = (
            {"entries": self._size[0], "bytes": self._size[1]}
            if self._size
            else {"entries": None, "bytes": None}
        )
        out["last_backend_error"] = self._last_error or None
        return out

    async def astats(self) -> dict[str, Any]:
        if not self._closed:
            await self.refresh_size()
        return self.stats()

    async def aclose(self) -> None:
        if self._closed:
            return
        await self.refresh_size()
        self._closed = True
        await self.backend.aclose()


class PassThroughCaller:
    """The layer when the strategy is ``never``: calls go straight through as ``cache=off``."""

    def __init__(self, inner: ModelCaller, config: CacheConfig) -> None:
        self.inner = inner
        self.config = config
        self._stats = CacheStats()

    async def call(self, request: ChatRequest) -> CallResult:
        result = await self.inner.call(request)
        result.cache = "off"
        result.stages_ns.setdefault("cache_lookup", 0)
        self._stats.requests += 1
        return result

    async def invalidate(self, **_: Any) -> int:
        return 0

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "enabled": False,
            "strategy": "never",
            "backend": None,
            "context_dimensions": [],
            "semantic": {"enabled": False},
        }
        out.update(self._stats.as_dict())
        out.update(
            evictions=0, expirations=0, size={"entries": 0, "bytes": 0}, last_backend_error=None
        )
        return out

    async def astats(self) -> dict[str, Any]:
        return self.stats()

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
