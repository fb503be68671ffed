"""The Prometheus text exposition format (version 0.0.4) of a metrics snapshot and state.

Times are in seconds and money in USD, as Prometheus' naming conventions ask; histograms
have cumulative ``_bucket{le=...}`` series ending in ``+Inf``, then ``_sum`` and ``_count``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from raafperf.monitor.state import BREAKER_STATES, NO_VARIANT, StateView

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "raafperf_"


def render(
    snapshot: dict[str, Any], state: StateView, *, info: dict[str, str] | None = None
) -> str:
    out = _Writer()
    if info is not None:
        out.family("info", "gauge", "The raafperf run being measured.")
        out.sample("info", info, 1)
    _requests(out, snapshot)
    _histogram(
        out,
        "ttft_seconds",
        "Time to first token, from the intended start (open loop) or the socket send "
        "(closed loop).",
        snapshot.get("ttft_buckets_ms", ()),
        snapshot.get("ttft", {}),
    )
    _histogram(
        out,
        "e2e_seconds",
        "End-to-end request latency, from the intended start (open loop) or the socket "
        "send (closed loop).",
        snapshot.get("e2e_buckets_ms", ()),
        snapshot.get("e2e", {}),
    )
    _cache(out, snapshot, state)
    _providers(out, state)
    return out.text()


def _requests(out: _Writer, snap: dict[str, Any]) -> None:
    out.family("requests_total", "counter", "Requests finished, by outcome.")
    for (variant, agent, provider, status), n in sorted(snap.get("requests", {}).items()):
        out.sample(
            "requests_total",
            {"variant": variant, "agent": agent, "provider": provider, "status": status},
            n,
        )
    out.family("request_errors_total", "counter", "Failed requests by error kind.")
    for (variant, kind), n in sorted(snap.get("errors", {}).items()):
        out.sample("request_errors_total", {"variant": variant, "kind": kind}, n)
    out.family("cost_usd_total", "counter", "Spent so far on priced requests (USD).")
    for (variant, agent), usd in sorted(snap.get("cost_usd", {}).items()):
        out.sample("cost_usd_total", {"variant": variant, "agent": agent}, usd)
    out.family(
        "unpriced_requests_total",
        "counter",
        "Requests whose cost is unknown (a model missing from the price table).",
    )
    for variant, n in sorted(snap.get("unpriced", {}).items()):
        out.sample("unpriced_requests_total", {"variant": variant}, n)
    out.family("in_flight_requests", "gauge", "Requests started and not finished yet.")
    out.sample("in_flight_requests", {}, snap.get("in_flight", 0))


def _histogram(
    out: _Writer,
    name: str,
    help_text: str,
    bounds_ms: Iterable[float],
    hists: dict[tuple[str, str], list[float]],
) -> None:
    bounds = [b / 1000 for b in bounds_ms]
    out.family(name, "histogram", help_text)
    for (variant, agent), values in sorted(hists.items()):
        labels = {"variant": variant, "agent": agent}
        cumulative = 0.0
        for bound, n in zip(bounds, values, strict=False):
            cumulative += n
            out.sample(f"{name}_bucket", {**labels, "le": _number(bound)}, cumulative)
        count = sum(values[: len(bounds) + 1])
        out.sample(f"{name}_bucket", {**labels, "le": "+Inf"}, count)
        out.sample(f"{name}_sum", labels, values[-1] / 1000)
        out.sample(f"{name}_count", labels, count)


def _cache(out: _Writer, snap: dict[str, Any], state: StateView) -> None:
    out.family(
        "cache_requests_total",
        "counter",
        "Requests by the cache outcome of their first model call (hit, miss, skip, off).",
    )
    by_variant: dict[str, dict[str, float]] = {}
    for (variant, outcome), n in sorted(snap.get("cache", {}).items()):
        out.sample("cache_requests_total", {"variant": variant, "outcome": outcome}, n)
        by_variant.setdefault(variant, {})[outcome] = n
    out.family("cache_hit_ratio", "gauge", "Hits over hits and misses (skipped requests aside).")
    for variant, outcomes in sorted(by_variant.items()):
        lookups = outcomes.get("hit", 0) + outcomes.get("miss", 0)
        if lookups:
            out.sample("cache_hit_ratio", {"variant": variant}, outcomes.get("hit", 0) / lookups)
    layer = (
        ("cache_layer_lookups_total", "counter", "lookups", "Cache lookups of every model call."),
        ("cache_layer_hits_total", "counter", "hits", "Cache hits of every model call."),
        ("cache_layer_misses_total", "counter", "misses", "Cache misses of every model call."),
        (
            "cache_layer_skipped_total",
            "counter",
            "skipped",
            "Model calls the policy did not cache.",
        ),
        ("cache_layer_evictions_total", "counter", "evictions", "Entries evicted for size."),
        ("cache_entries", "gauge", "entries", "Entries in the cache."),
        ("cache_bytes", "gauge", "bytes", "Bytes held by the cache."),
    )
    for name, kind, attr, help_text in layer:
        samples = [
            (v, getattr(c, attr))
            for v, c in sorted(state.caches.items())
            if getattr(c, attr) is not None
        ]
        if samples:
            out.family(name, kind, help_text)
            for variant, value in samples:
                out.sample(name, _variant(variant), value)


def _providers(out: _Writer, state: StateView) -> None:
    items = sorted(state.providers.items())
    if not items:
        return
    simple = (
        ("provider_calls_total", "counter", "calls", "Calls the router sent to the provider."),
        ("provider_ok_total", "counter", "ok", "Calls the provider answered successfully."),
        ("provider_errors_total", "counter", "errors", "Calls that failed at the provider."),
        ("provider_in_flight", "gauge", "in_flight", "Calls in flight at the provider."),
        ("provider_breaker_opens_total", "counter", "opens", "Times the breaker opened."),
        (
            "provider_latency_ewma_seconds",
            "gauge",
            "ewma_ms",
            "The router's moving average of the provider's latency.",
        ),
    )
    for name, kind, attr, help_text in simple:
        samples = [(key, getattr(p, attr)) for key, p in items if getattr(p, attr) is not None]
        if not samples:
            continue
        out.family(name, kind, help_text)
        for (variant, provider), value in samples:
            if attr == "ewma_ms":
                value = value / 1000
            out.sample(name, {**_variant(variant), "provider": provider}, value)
    out.family(
        "provider_up",
        "gauge",
        "1 while the provider takes traffic, 0 while its circuit breaker is open.",
    )
    for (variant, provider), p in items:
        out.sample(
            "provider_up",
            {**_variant(variant), "provider": provider},
            0 if p.breaker == "open" else 1,
        )
    out.family(
        "provider_breaker_state",
        "gauge",
        "The circuit breaker's state: 1 for the current one (closed, half_open, open, off).",
    )
    for (variant, provider), p in items:
        if p.breaker is None:
            continue
        for s in BREAKER_STATES:
            out.sample(
                "provider_breaker_state",
                {**_variant(variant), "provider": provider, "state": s},
                1 if p.breaker == s else 0,
            )
    health = [(k, p) for k, p in items if p.health_ok is not None or p.health_failed is not None]
    if health:
        out.family(
            "provider_health_checks_total", "counter", "Health checks of open providers, by result."
        )
        for (variant, provider), p in health:
            for result, value in (("passed", p.health_ok), ("failed", p.health_failed)):
                out.sample(
                    "provider_health_checks_total",
                    {**_variant(variant), "provider": provider, "result": result},
                    value or 0,
                )


def _variant(variant: str) -> dict[str, str]:
    return {} if variant == NO_VARIANT else {"variant": variant}


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        full = PREFIX + name
        self.lines.append(f"# HELP {full} {_escape_help(help_text)}")
        self.lines.append(f"# TYPE {full} {kind}")

    def sample(self, name: str, labels: dict[str, str], value: float) -> None:
        full = PREFIX + name
        if labels:
            inner = ",".join(f'{k}="{_escape_label(str(v))}"' for k, v in labels.items())
            full += "{" + inner + "}"
        self.lines.append(f"{full} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")
