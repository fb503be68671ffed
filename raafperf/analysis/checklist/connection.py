"""Checklist rules of the client side: connections, timeouts, retries and the cache."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from raafperf.analysis.checklist.item import (
    MAX_ATTEMPTS_SANE,
    MAX_READ_TIMEOUT_S,
    MAX_TTL_S,
    AuditItem,
)
from raafperf.analysis.checklist.scenario_facts import duration_text, peak_users

# -- connection management -------------------------------------------------------------------


def connection_items(provider: Any, scenario: Any) -> Iterable[AuditItem]:
    area = "Connection management"
    client = getattr(provider, "client", None)
    where = f"providers[{provider.name}].client"
    pool = getattr(client, "pool", True)
    keepalive = getattr(client, "max_keepalive_connections", 1)
    expiry = getattr(client, "keepalive_expiry", 1.0)
    if not pool:
        yield AuditItem(
            area,
            f"pooling ({provider.name})",
            "warn",
            "pool: false opens a new connection (TCP, TLS) for every request",
            f"{where}.pool",
        )
    elif not keepalive or not expiry:
        yield AuditItem(
            area,
            f"pooling ({provider.name})",
            "warn",
            "keep-alive is off (max_keepalive_connections or keepalive_expiry is 0):"
            " connections are not reused",
            where,
        )
    else:
        yield AuditItem(
            area,
            f"pooling ({provider.name})",
            "pass",
            f"pooled, keep-alive {keepalive} connections for {expiry:g} s",
            where,
        )
        users = peak_users(scenario)
        limit = getattr(client, "max_connections", None)
        if users is not None and limit is not None and limit < users:
            yield AuditItem(
                area,
                f"pool size ({provider.name})",
                "warn",
                f"max_connections {limit} < {users} concurrent users: requests "
                "queue for a connection (stage pool_wait)",
                f"{where}.max_connections",
            )
    yield _timeouts_item(provider.name, getattr(client, "timeouts", None), f"{where}.timeouts")
    yield _retries_item(
        provider.name, getattr(client, "retries", None), scenario, f"{where}.retries"
    )


def _timeouts_item(name: str, timeouts: Any, where: str) -> AuditItem:
    area, label = "Connection management", f"timeouts ({name})"
    connect = getattr(timeouts, "connect", None)
    read = getattr(timeouts, "read", None)
    missing = [k for k, v in (("connect", connect), ("read", read)) if v is None]
    if missing:
        return AuditItem(
            area,
            label,
            "fail",
            f"no {' and no '.join(missing)} timeout: a provider that stalls holds "
            "the request (and its connection) for ever",
            where,
        )
    if read > MAX_READ_TIMEOUT_S:
        return AuditItem(
            area,
            label,
            "warn",
            f"read timeout {read:g} s: a silent stream is noticed only after {read / 60:.0f} min",
            where,
        )
    return AuditItem(area, label, "pass", f"connect {connect:g} s, read {read:g} s", where)


def _retries_item(name: str, retries: Any, scenario: Any, where: str) -> AuditItem:
    area, label = "Connection management", f"retries ({name})"
    attempts = getattr(retries, "max_attempts", 1)
    budget = getattr(retries, "budget", None)
    router = getattr(scenario, "router", None)
    router_attempts = getattr(router, "max_attempts", 1)
    # The router retries only by moving to another provider, unless told to come back.
    router_retries = router_attempts > 1 and (
        len(scenario.providers) > 1 or getattr(router, "retry_same_provider", False)
    )
    if attempts <= 1:
        if not router_retries:
            return AuditItem(
                area,
                label,
                "warn",
                "no retries: client max_attempts is 1 and the router has no other "
                "provider to move to; one transient 429 or 5xx fails the request",
                f"{where}.max_attempts",
            )
        return AuditItem(
            area,
            label,
            "pass",
            f"no client retries; the router makes up to {router_attempts} "
            "attempts across providers",
            where,
        )
    if budget is None:
        return AuditItem(
            area,
            label,
            "fail",
            f"max_attempts {attempts} without a retry budget: a failing provider "
            f"receives up to {attempts}× the load (a retry storm)",
            f"{where}.budget",
        )
    ratio = getattr(budget, "ratio", None)
    if attempts > MAX_ATTEMPTS_SANE:
        return AuditItem(
            area,
            label,
            "warn",
            f"max_attempts {attempts}: more than {MAX_ATTEMPTS_SANE} attempts mostly "
            "adds latency to requests that will fail anyway",
            f"{where}.max_attempts",
        )
    jitter = getattr(retries, "jitter", "full")
    base = getattr(retries, "backoff_base_s", 0.1)
    if jitter == "none" or not base:
        return AuditItem(
            area,
            label,
            "warn",
            "retries without jittered backoff retry in step and hit the provider together",
            where,
        )
    share = f", budget {ratio:.0%} extra load" if isinstance(ratio, float) else ""
    return AuditItem(
        area, label, "pass", f"max_attempts {attempts}, jittered backoff{share}", where
    )


# -- caching ---------------------------------------------------------------------------------


def cache_items(scenario: Any) -> Iterable[AuditItem]:
    area = "Caching"
    cache = getattr(scenario, "cache", None)
    strategy = getattr(cache, "strategy", "never")
    backend = getattr(cache, "backend", "memory")
    if strategy == "never":
        yield AuditItem(
            area,
            "response cache",
            "warn",
            "cache strategy never: repeated deterministic queries pay full latency "
            "and cost (try strategy: smart in a variant)",
            "cache.strategy",
        )
        return
    if strategy == "always":
        yield AuditItem(
            area,
            "response cache",
            "warn",
            "strategy always also caches personal and time-sensitive answers; "
            "smart skips them and picks TTLs by rule",
            "cache.strategy",
        )
    else:
        yield AuditItem(
            area,
            "response cache",
            "pass",
            f"strategy {strategy}, {backend} backend",
            "cache.strategy",
        )
    workers = getattr(getattr(scenario, "load", None), "workers", None)
    if backend == "memory" and workers and workers > 1:
        yield AuditItem(
            area,
            "shared cache",
            "warn",
            f"a memory cache with {workers} worker processes: each worker has its "
            "own cache, so hit rates are lower than one shared cache (sqlite, "
            "redis)",
            "cache.backend",
        )
    yield _ttl_item(cache, strategy, backend)


def _ttl_item(cache: Any, strategy: str, backend: str) -> AuditItem:
    area = "Caching"
    ttl = getattr(cache, "ttl_s", None)
    rules = getattr(getattr(cache, "smart", None), "ttl_rules", None) or []
    max_bytes = getattr(cache, "max_bytes", 1)
    if ttl is None or ttl > MAX_TTL_S:
        shown = "none" if ttl is None else f"{ttl / 86400:.0f} days"
        return AuditItem(
            area,
            "cache TTLs",
            "warn",
            f"default TTL {shown}: stale answers outlive most content changes",
            "cache.ttl_s",
        )
    if backend in ("memory", "sqlite") and max_bytes is None:
        return AuditItem(
            area,
            "cache TTLs",
            "warn",
            f"no max_bytes on the {backend} cache: it grows without bound",
            "cache.max_bytes",
        )
    if strategy == "smart" and not rules:
        return AuditItem(
            area,
            "cache TTLs",
            "warn",
            f"smart strategy without ttl_rules: every entry lives {ttl:g} s, time-sensitive or not",
            "cache.smart.ttl_rules",
        )
    extra = f", {len(rules)} TTL rules" if strategy == "smart" else ""
    return AuditItem(
        area, "cache TTLs", "pass", f"default TTL {duration_text(ttl)}{extra}", "cache.ttl_s"
    )
