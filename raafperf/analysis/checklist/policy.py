"""Checklist rules of policy: budgets, fallback providers, breakers, CI and sample sizes."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from raafperf.analysis.checklist.item import AuditItem
from raafperf.analysis.checklist.scenario_facts import measured_requests, min_tail, peak_users

# -- cost ------------------------------------------------------------------------------------


def budget_items(scenario: Any) -> Iterable[AuditItem]:
    area = "Cost optimization"
    budget = getattr(scenario, "budget", None)
    per_run = getattr(budget, "per_run_usd", None)
    per_request = getattr(budget, "per_request_usd", None)
    real = [p.name for p in scenario.providers if getattr(p, "kind", "simulated") != "simulated"]
    if per_run is None and per_request is None:
        if real:
            yield AuditItem(
                area,
                "budgets",
                "warn",
                f"no budget while calling paid providers ({', '.join(real)}): set "
                "budget.per_run_usd so a long run cannot overspend",
                "budget.per_run_usd",
            )
        else:
            yield AuditItem(
                area,
                "budgets",
                "warn",
                "no budget (per_run_usd, per_request_usd): cost is reported but never capped",
                "budget",
            )
        return
    parts = []
    if per_run is not None:
        parts.append(f"${per_run:g} per run")
    if per_request is not None:
        action = getattr(budget, "per_request_action", "downgrade")
        parts.append(f"${per_request:g} per request ({action})")
    if real and per_run is None:
        yield AuditItem(
            area,
            "budgets",
            "warn",
            f"{', '.join(parts)} but no per-run cap while calling paid providers",
            "budget.per_run_usd",
        )
        return
    yield AuditItem(area, "budgets", "pass", ", ".join(parts), "budget")


# -- provider management ---------------------------------------------------------------------


def fallback_items(scenario: Any) -> Iterable[AuditItem]:
    area = "Provider management"
    router_attempts = getattr(getattr(scenario, "router", None), "max_attempts", 1)
    for agent in scenario.agents:
        serving = [p.name for p in scenario.providers if agent.model in p.models]
        label = f"fallback provider ({agent.name})"
        if len(serving) < 2:
            only = serving[0] if serving else "no provider"
            yield AuditItem(
                area,
                label,
                "warn",
                f"model {agent.model} is served only by {only}: an outage or a "
                "429 storm fails every request of this agent",
                "providers",
            )
        elif router_attempts < 2:
            yield AuditItem(
                area,
                label,
                "warn",
                f"{len(serving)} providers serve {agent.model} but router."
                "max_attempts is 1: a failed call never moves to another",
                "router.max_attempts",
            )
        else:
            yield AuditItem(
                area,
                label,
                "pass",
                f"{agent.model} served by {', '.join(serving)}; up to {router_attempts} attempts",
                "providers",
            )


def breaker_items(scenario: Any) -> Iterable[AuditItem]:
    area = "Provider management"
    router = getattr(scenario, "router", None)
    breaker = getattr(router, "breaker", None)
    if breaker is None or not getattr(breaker, "enabled", False):
        yield AuditItem(
            area,
            "circuit breakers",
            "warn",
            "breakers are off: a failing provider keeps getting traffic (and "
            "timeouts) instead of being skipped until it recovers",
            "router.breaker.enabled",
        )
    else:
        rate = getattr(breaker, "failure_rate", None)
        count = getattr(breaker, "failure_threshold", None)
        rule = " or ".join(
            r
            for r in (f"{rate:.0%} failures" if rate else "", f"{count} failures" if count else "")
            if r
        )
        reset = getattr(breaker, "reset_timeout_s", None)
        yield AuditItem(
            area,
            "circuit breakers",
            "pass",
            f"open at {rule or 'failures'} in {getattr(breaker, 'window_s', 0):g} s,"
            f" probe after {reset:g} s"
            if reset
            else f"open at {rule}",
            "router.breaker",
        )
    health = getattr(router, "health", None)
    if health is not None and not getattr(health, "enabled", True):
        yield AuditItem(
            area,
            "health checks",
            "warn",
            "an open provider is probed with real requests, without a health check first",
            "router.health.enabled",
        )


def provider_safety_items(provider: Any) -> Iterable[AuditItem]:
    if getattr(provider, "kind", "simulated") == "simulated":
        return
    area = "Provider management"
    where = f"providers[{provider.name}]"
    client = getattr(provider, "client", None)
    if getattr(client, "verify", True) is False:
        yield AuditItem(
            area,
            f"TLS verification ({provider.name})",
            "fail",
            "verify: false on a real provider sends the API key to whoever answers",
            f"{where}.client.verify",
        )
    env = getattr(provider, "api_key_env", None)
    if env and not os.environ.get(env):
        # The variable's name only; its value is never shown.
        yield AuditItem(
            area,
            f"API key ({provider.name})",
            "warn",
            f"environment variable {env} is not set here",
            f"{where}.api_key_env",
        )
    if getattr(provider, "rate_limit", None) is None:
        yield AuditItem(
            area,
            f"rate limits ({provider.name})",
            "warn",
            "no rate_limit (rpm/tpm): the router cannot keep under the provider's "
            "quota and learns it from 429s",
            f"{where}.rate_limit",
        )


# -- measurement and CI ----------------------------------------------------------------------


def measurement_items(scenario: Any) -> Iterable[AuditItem]:
    area = "Monitoring and CI"
    thresholds = dict(getattr(scenario, "thresholds", {}) or {})
    latency = [k for k in thresholds if k.endswith("_ms")]
    if not thresholds:
        yield AuditItem(
            area,
            "CI thresholds",
            "warn",
            "no thresholds: bench exits 0 whatever the latency or error rate",
            "thresholds",
        )
    elif not latency or "error_rate" not in thresholds:
        lacking = "a latency threshold" if not latency else "error_rate"
        yield AuditItem(
            area,
            "CI thresholds",
            "warn",
            f"{len(thresholds)} threshold(s) but no {lacking}",
            "thresholds",
        )
    else:
        yield AuditItem(area, "CI thresholds", "pass", ", ".join(sorted(thresholds)), "thresholds")
    yield _warmup_item(scenario)
    yield _sample_size_item(scenario, thresholds)


def _warmup_item(scenario: Any) -> AuditItem:
    area = "Monitoring and CI"
    load = scenario.load
    warmup = getattr(load, "warmup", 0)
    users = peak_users(scenario)
    if warmup <= 0:
        return AuditItem(
            area,
            "warm-up",
            "warn",
            "no warm-up requests: the first measured requests also pay connection "
            "set-up and cold caches",
            "load.warmup",
        )
    if load.mode == "closed" and users and warmup < users:
        return AuditItem(
            area,
            "warm-up",
            "warn",
            f"{warmup} warm-up requests for {users} users: some connections are "
            "first opened in the measured phase",
            "load.warmup",
        )
    return AuditItem(area, "warm-up", "pass", f"{warmup} warm-up requests", "load.warmup")


def _sample_size_item(scenario: Any, thresholds: dict[str, float]) -> AuditItem:
    area, label, where = "Monitoring and CI", "samples for p99", "load.requests"
    n = measured_requests(scenario)
    tail = min_tail()
    need = {p: math.ceil(round(tail / (1 - p / 100), 6)) for p in (50, 95, 99)}
    p99_thresholds = sorted(k for k in thresholds if k.startswith("p99_"))
    if n is None:
        return AuditItem(
            area,
            label,
            "warn",
            "the run is bounded by duration only: how many requests p99 rests "
            "on is unknown beforehand",
            where,
        )
    if p99_thresholds and n < 100:
        return AuditItem(
            area,
            label,
            "fail",
            f"{', '.join(p99_thresholds)} over {n} requests judges the slowest "
            "request alone (p99 needs ≥ 100)",
            where,
        )
    if n >= need[99]:
        return AuditItem(
            area, label, "pass", f"{n:,} measured requests: p99 can get a compare verdict", where
        )
    judged = [f"p{p}" for p in (50, 95) if n >= need[p]]
    can = f"; {', '.join(judged)} can" if judged else ""
    return AuditItem(
        area,
        label,
        "warn",
        f"{n:,} measured requests: p99 needs ≥ {need[99]:,} per run for a compare "
        f"verdict (p95 ≥ {need[95]:,}){can}",
        where,
    )
