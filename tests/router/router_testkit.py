"""Small in-process ModelCallers and a fake clock for the router's tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from raafperf.client.types import CallResult, ChatRequest
from raafperf.router import RouterConfig, build_router
from raafperf.router.router import Router

if TYPE_CHECKING:
    from raafperf.scenario.model import ProviderConfig


@dataclass(slots=True)
class CallResultWithRetryAfter(CallResult):
    """CallResult with the optional field this area proposes (until CallResult has it)."""

    retry_after_s: float | None = None


class FakeClock:
    """Seconds that move only when told; ``sleep`` moves them instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Outcome = str | None
"""None: success; else the error kind to fail with."""


@dataclass
class FakeProvider:
    """A ModelCaller whose outcome, timing and health are scripted by the test."""

    name: str
    outcome: Outcome | Callable[[ChatRequest], Outcome] = None
    ttft_ms: float = 50.0
    e2e_ms: float = 100.0
    healthy: bool = True
    gate: asyncio.Event | None = None
    """When set, calls wait for it (to hold them in flight)."""
    retry_after_s: float | None = None
    calls: int = 0
    health_checks: int = 0
    closed: bool = False
    seen: list[ChatRequest] = field(default_factory=list)

    async def call(self, request: ChatRequest) -> CallResult:
        self.calls += 1
        self.seen.append(request)
        if self.gate is not None:
            await self.gate.wait()
        kind = self.outcome(request) if callable(self.outcome) else self.outcome
        start = time.perf_counter_ns()
        cls = CallResultWithRetryAfter if self.retry_after_s is not None else CallResult
        result = cls(
            ok=kind is None,
            provider=self.name,
            model=request.model,
            start_ns=start,
            end_ns=start + int(self.e2e_ms * 1e6),
            first_token_ns=start + int(self.ttft_ms * 1e6) if kind is None else None,
            error_kind=kind,
            status=200 if kind is None else 503,
            text="hi" if kind is None else "",
            stages_ns={"network": 5},
        )
        if isinstance(result, CallResultWithRetryAfter) and kind == "http_429":
            result.retry_after_s = self.retry_after_s
        return result

    async def health_check(self) -> bool:
        self.health_checks += 1
        return self.healthy

    async def aclose(self) -> None:
        self.closed = True


class NoHealthProvider:
    """A ModelCaller with no health_check at all."""

    def __init__(self, inner: FakeProvider) -> None:
        self.inner = inner

    async def call(self, request: ChatRequest) -> CallResult:
        return await self.inner.call(request)


def pconf(
    name: str,
    models: list[str] | None = None,
    *,
    weight: float = 1.0,
    priority: int = 0,
    rpm: float | None = None,
    tpm: float | None = None,
) -> ProviderConfig:
    from raafperf.scenario.model import ProviderConfig, ProviderRateLimit

    rate = ProviderRateLimit(rpm=rpm, tpm=tpm) if (rpm or tpm) else None
    return ProviderConfig(
        name=name,
        kind="simulated",
        models=models or ["m"],
        weight=weight,
        priority=priority,
        rate_limit=rate,
    )


def make_router(
    config: dict[str, Any] | RouterConfig,
    providers: list[tuple[ProviderConfig, Any]],
    clock: FakeClock | None = None,
    **kw: Any,
) -> Router:
    cfg = config if isinstance(config, RouterConfig) else RouterConfig.model_validate(config)
    clock = clock or FakeClock()
    return build_router(cfg, providers, clock=clock, sleep=clock.sleep, **kw)


def req(model: str = "m", text: str = "hello", max_tokens: int | None = None) -> ChatRequest:
    return ChatRequest(
        model=model, messages=[{"role": "user", "content": text}], max_tokens=max_tokens
    )


async def run_many(router: Router, n: int, model: str = "m") -> list[CallResult]:
    return [await router.call(req(model)) for _ in range(n)]
