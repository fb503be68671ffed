"""The router's part of summary.json: counters kept while running, assembled at the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from raafperf.router.state import ProviderState


@dataclass(slots=True)
class RouterCounters:
    """Per-request counters (per-provider ones live on :class:`ProviderState`)."""

    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    fail_fast: dict[str, int] = field(default_factory=dict)
    """Requests that ended without any provider call, by kind."""
    attempts: int = 0
    requests_with_fallback: int = 0
    fallbacks: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_s: float = 0.0
    backoff_waits: int = 0
    backoff_wait_s: float = 0.0
    health_waits: int = 0
    responses_429: int = 0


class Timeline:
    """Breaker state changes, in seconds since the run's start."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.origin = clock()
        self.events: list[dict[str, Any]] = []

    def now_s(self) -> float:
        return self._clock() - self.origin

    def listener(self, provider: str) -> Callable[[str, str, str], None]:
        def on_change(before: str, after: str, reason: str) -> None:
            self.events.append(
                {
                    "t_s": round(self.now_s(), 3),
                    "provider": provider,
                    "from": before,
                    "to": after,
                    "reason": reason,
                }
            )

        return on_change


def _count_traffic(p: ProviderState, t_s: float, bucket_s: float) -> None:
    i = int(t_s / bucket_s) if t_s > 0 else 0
    traffic = p.traffic
    if i >= len(traffic):
        traffic.extend([0] * (i + 1 - len(traffic)))
    traffic[i] += 1


def build_report(
    strategy: str,
    providers: Sequence[ProviderState],
    counters: RouterCounters,
    timeline: Timeline,
    bucket_s: float,
) -> dict[str, Any]:
    from raafperf.analysis.stats import describe

    sent = sum(p.sent for p in providers) or 1
    width = max((len(p.traffic) for p in providers), default=0)
    per_provider = {}
    for p in providers:
        per_provider[p.name] = {
            "requests": p.sent,
            "share": p.sent / sent,
            "ok": p.ok,
            "answered": p.answered,
            "errors": {"total": sum(p.errors.values()), "by_kind": dict(p.errors)},
            "latency_ms": describe(p.latency_ms),
            "ttft_ms": describe(p.ttft_ms),
            "ewma_ms": p.ewma_ms,
            "in_flight": p.in_flight,
            "breaker": {
                "state": p.breaker_state,
                "opens": p.breaker.opens if p.breaker is not None else 0,
            },
            "health_checks": {"passed": p.health_ok, "failed": p.health_failed},
            "rate_limited": p.rate_limited,
            "traffic": p.traffic + [0] * (width - len(p.traffic)),
        }
    c = counters
    return {
        "strategy": strategy,
        "requests": c.requests,
        "ok": c.ok,
        "errors": {"total": sum(c.errors.values()), "by_kind": dict(c.errors)},
        "fail_fast": dict(c.fail_fast),
        "attempts": c.attempts,
        "fallbacks": {"requests": c.requests_with_fallback, "total": c.fallbacks},
        "rate_limit_waits": {"count": c.rate_limit_waits, "total_s": c.rate_limit_wait_s},
        "backoff": {
            "responses_429": c.responses_429,
            "waits": c.backoff_waits,
            "total_s": c.backoff_wait_s,
        },
        "health_waits": c.health_waits,
        "providers": per_provider,
        "traffic_bucket_s": bucket_s,
        "timeline": list(timeline.events),
    }
