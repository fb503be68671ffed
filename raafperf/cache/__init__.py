"""Response caching for the model-call stack: keys and policy (pure), backends (memory, SQLite,
Redis), a semantic index with guards against wrong hits, and statistics.

The engine calls :func:`build_cache_layer`; everything else is for tests, benchmarks and the
``raafperf cache`` commands.
"""

from __future__ import annotations

from raafperf.cache.backends import Selector, open_backend
from raafperf.cache.caller import CachedCaller, PassThroughCaller
from raafperf.cache.config import CacheConfig
from raafperf.cache.factory import CacheLayer, build_cache_layer
from raafperf.cache.keys import canonical_model, request_key
from raafperf.cache.policy import CachePolicy

__all__ = [
    "CacheConfig",
    "CacheLayer",
    "CachePolicy",
    "CachedCaller",
    "PassThroughCaller",
    "Selector",
    "build_cache_layer",
    "canonical_model",
    "open_backend",
    "request_key",
]
