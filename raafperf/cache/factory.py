"""The one function the engine calls to put a cache in front of the call stack."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from raafperf.agents.config import AgentConfig
from raafperf.cache.backends import open_backend
from raafperf.cache.caller import CachedCaller, PassThroughCaller
from raafperf.cache.config import CacheConfig
from raafperf.cache.policy import CachePolicy
from raafperf.cache.semantic import EmbedClient, make_embedder
from raafperf.cache.stats import PriceFn
from raafperf.client.types import CallResult, ChatRequest, ModelCaller


class CacheLayer(Protocol):
    async def call(self, request: ChatRequest) -> CallResult: ...

    async def invalidate(
        self, *, agent: str | None = None, pattern: str | None = None, model: str | None = None
    ) -> int: ...

    async def check(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    async def astats(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def build_cache_layer(
    config: CacheConfig,
    inner: ModelCaller,
    *,
    agents: Sequence[AgentConfig] = (),
    clock: Callable[[], float] = time.time,
    embed_client: EmbedClient | None = None,
    price_fn: PriceFn | None = None,
) -> CacheLayer:
    """A :class:`CachedCaller` over ``inner`` as the scenario's ``cache:`` says, or a
    pass-through when the strategy is ``never`` (its stats say so).

    ``clock`` is wall-clock seconds (TTLs and time buckets); ``embed_client`` is the provider
    client named by ``cache.semantic.provider`` when the embedder is ``endpoint``;
    ``price_fn(model, prompt_tokens, completion_tokens) -> usd | None`` adds dollars saved.
    The minilm embedder loads its model here (seconds), before any request is timed.
    """
    if config.strategy == "never":
        return PassThroughCaller(inner, config)
    embedder = make_embedder(config.semantic, embed_client) if config.semantic.enabled else None
    backend = open_backend(config)
    return CachedCaller(
        inner,
        backend,
        config,
        policy=CachePolicy(config, agents, clock),
        embedder=embedder,
        clock=clock,
        price_fn=price_fn,
    )
