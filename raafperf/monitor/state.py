"""Provider health, breaker states and cache counters, read from the running call stacks.

A state source returns ``{"router": <router.stats()>, "cache": <cache.stats()>}`` for one
stack, or ``{variant: {"router": ..., "cache": ...}}`` for several. Every field is read
defensively: a section that is missing, failed or changed shape yields fewer metrics, never
an error. ``stack_state`` builds the same shape cheaply (counters only, no percentiles), so a
scrape does not sort latency arrays while the run goes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BREAKER_STATES: tuple[str, ...] = ("closed", "half_open", "open", "off")
_SEVERITY = {"off": 0, "closed": 1, "half_open": 2, "open": 3}
NO_VARIANT = ""


@dataclass
class ProviderLive:
    calls: float | None = None
    ok: float | None = None
    errors: float | None = None
    in_flight: float | None = None
    breaker: str | None = None
    opens: float | None = None
    health_ok: float | None = None
    health_failed: float | None = None
    ewma_ms: float | None = None


@dataclass
class CacheLive:
    lookups: float | None = None
    hits: float | None = None
    misses: float | None = None
    skipped: float | None = None
    evictions: float | None = None
    entries: float | None = None
    bytes: float | None = None


@dataclass
class StateView:
    providers: dict[tuple[str, str], ProviderLive] = field(default_factory=dict)
    """(variant, provider) -> what its router knows."""
    caches: dict[str, CacheLive] = field(default_factory=dict)


def parse_state(state: Any) -> StateView:
    """Normalise what a state source returned; anything unexpected is skipped."""
    view = StateView()
    if not isinstance(state, dict):
        return view
    if "router" in state or "cache" in state:
        _add_stack(view, NO_VARIANT, state)
    else:
        for variant, stack in state.items():
            if isinstance(stack, dict):
                _add_stack(view, str(variant), stack)
    return view


def _add_stack(view: StateView, variant: str, stack: dict[str, Any]) -> None:
    router = stack.get("router")
    providers = router.get("providers") if isinstance(router, dict) else None
    if isinstance(providers, dict):
        for name, p in providers.items():
            if isinstance(p, dict):
                view.providers[(variant, str(name))] = _provider(p)
    cache = stack.get("cache")
    if isinstance(cache, dict) and "error" not in cache:
        size = cache.get("size") if isinstance(cache.get("size"), dict) else {}
        hits, misses = _num(cache.get("hits")), _num(cache.get("misses"))
        lookups = _num(cache.get("lookups"))
        if lookups is None and hits is not None and misses is not None:
            lookups = hits + misses
        view.caches[variant] = CacheLive(
            lookups=lookups,
            hits=hits,
            misses=misses,
            skipped=_num(cache.get("skipped")),
            evictions=_num(cache.get("evictions")),
            entries=_num(size.get("entries")),
            bytes=_num(size.get("bytes")),
        )


def _provider(p: dict[str, Any]) -> ProviderLive:
    errors = p.get("errors")
    breaker = p.get("breaker")
    health = p.get("health_checks")
    state = breaker.get("state") if isinstance(breaker, dict) else breaker
    return ProviderLive(
        calls=_num(p.get("requests")),
        ok=_num(p.get("ok")),
        errors=_num(errors.get("total")) if isinstance(errors, dict) else _num(errors),
        in_flight=_num(p.get("in_flight")),
        breaker=str(state) if isinstance(state, str) else None,
        opens=_num(breaker.get("opens")) if isinstance(breaker, dict) else None,
        health_ok=_num(health.get("passed")) if isinstance(health, dict) else None,
        health_failed=_num(health.get("failed")) if isinstance(health, dict) else None,
        ewma_ms=_num(p.get("ewma_ms")),
    )


def merge_states(views: Iterable[StateView]) -> StateView:
    """Several processes' views as one: counters add up; a breaker shows its worst state
    (open in any worker means some traffic is being turned away)."""
    out = StateView()
    for view in views:
        for key, p in view.providers.items():
            have = out.providers.get(key)
            if have is None:
                out.providers[key] = ProviderLive(**vars(p))
                continue
            for name in (
                "calls",
                "ok",
                "errors",
                "in_flight",
                "opens",
                "health_ok",
                "health_failed",
            ):
                setattr(have, name, _add(getattr(have, name), getattr(p, name)))
            if p.breaker is not None and (
                have.breaker is None or _SEVERITY.get(p.breaker, 0) > _SEVERITY.get(have.breaker, 0)
            ):
                have.breaker = p.breaker
            if p.ewma_ms is not None:
                have.ewma_ms = p.ewma_ms if have.ewma_ms is None else max(have.ewma_ms, p.ewma_ms)
        for variant, c in view.caches.items():
            have_c = out.caches.get(variant)
            if have_c is None:
                out.caches[variant] = CacheLive(**vars(c))
                continue
            for name in vars(c):
                setattr(have_c, name, _add(getattr(have_c, name), getattr(c, name)))
    return out


def stack_state(stack: Any) -> dict[str, Any]:
    """``{"router": ..., "cache": ...}`` of one running CallStack, counters only.

    Reads the router's per-provider state and the cache layer's counters directly (no
    percentiles are computed); falls back to their ``stats()`` where those are not there.
    """
    out: dict[str, Any] = {}
    router = getattr(stack, "router", None)
    providers = getattr(router, "providers", None)
    if isinstance(providers, list | tuple):
        out["router"] = {
            "providers": {
                p.name: {
                    "requests": getattr(p, "sent", None),
                    "ok": getattr(p, "ok", None),
                    "errors": {"total": sum(dict(getattr(p, "errors", {}) or {}).values())},
                    "in_flight": getattr(p, "in_flight", None),
                    "breaker": {
                        "state": getattr(p, "breaker_state", None),
                        "opens": getattr(getattr(p, "breaker", None), "opens", 0),
                    },
                    "health_checks": {
                        "passed": getattr(p, "health_ok", None),
                        "failed": getattr(p, "health_failed", None),
                    },
                    "ewma_ms": getattr(p, "ewma_ms", None),
                }
                for p in list(providers)
                if hasattr(p, "name")
            }
        }
    elif router is not None and hasattr(router, "stats"):
        out["router"] = router.stats()
    cache = getattr(stack, "cache", None)
    counters = getattr(cache, "_stats", None)
    if counters is not None and hasattr(counters, "hits"):
        backend = getattr(cache, "backend", None)
        out["cache"] = {
            "hits": counters.hits,
            "misses": getattr(counters, "misses", None),
            "skipped": sum(dict(getattr(counters, "skips", {}) or {}).values()),
            "evictions": getattr(backend, "evictions", None),
        }
    elif cache is not None and hasattr(cache, "stats"):
        out["cache"] = cache.stats()
    return out


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b
