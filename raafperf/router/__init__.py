"""Multi-provider routing: strategies, a circuit breaker per provider, fallback, rate limits.

``build_router(config, [(ProviderConfig, ModelCaller), ...])`` gives a Router, a ModelCaller.
"""

from raafperf.router.breaker import CircuitBreaker
from raafperf.router.config import RouterConfig
from raafperf.router.factory import build_router
from raafperf.router.ratelimit import ProviderLimiter, TokenBucket
from raafperf.router.router import Router

__all__ = [
    "CircuitBreaker",
    "ProviderLimiter",
    "Router",
    "RouterConfig",
    "TokenBucket",
    "build_router",
]
