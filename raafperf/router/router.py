"""The router: one ModelCaller over several providers, with breakers, fallback and limits.

One request: pick an eligible provider (serves the model, breaker admits, not tried yet,
not cooling down after a 429, budget left), call it, record the outcome; on a retryable
failure move to the next eligible provider, up to ``max_attempts``. When nobody is eligible:
wait if a budget or a 429 cooldown frees one soon, wait for a running health check, else fail
fast with ``all_providers_down``. Never raises for provider faults.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from raafperf.client import error_kinds as ek
from raafperf.client.types import CallResult, ChatRequest
from raafperf.router.backoff import backoff_delay
from raafperf.router.breaker import CLOSED, HALF_OPEN, OPEN, REJECTED
from raafperf.router.config import RouterConfig
from raafperf.router.errorclass import RATE_LIMIT_WAIT, ErrorClass
from raafperf.router.ratelimit import estimate_tokens
from raafperf.router.report import RouterCounters, Timeline, _count_traffic, build_report
from raafperf.router.state import ProviderState
from raafperf.router.strategies import Strategy

_ns = time.perf_counter_ns
_NO_TICKET = 1
_EPSILON_S = 1e-6
"""Waits shorter than this are no waits (and float dust cannot loop forever)."""


class Router:
    """Implements ModelCaller. Build it with :func:`raafperf.router.build_router`."""

    def __init__(
        self,
        config: RouterConfig,
        providers: Sequence[ProviderState],
        strategy: Strategy,
        timeline: Timeline,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
        close_providers: bool = True,
    ) -> None:
        self.config = config
        self.providers = list(providers)
        self._strategy = strategy
        self._timeline = timeline
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random(0)
        self._close_providers = close_providers
        self._by_model: dict[str, list[ProviderState]] = {}
        for p in self.providers:
            for model in sorted(p.models):
                self._by_model.setdefault(model, []).append(p)
        self._retry_on = ErrorClass(config.retry_on, never=(ek.STREAM_BROKEN, ek.CANCELLED))
        self._limits = any(p.limiter is not None for p in self.providers)
        self._reroute = config.rate_limit.on_limit == "reroute"
        self._max_wait = config.rate_limit.max_wait_s
        self._latency_ttft = config.least_latency.metric == "ttft"
        self._alpha = config.least_latency.alpha
        self._bucket_s = config.traffic_bucket_s
        self._max_attempts = config.max_attempts
        self.counters = RouterCounters()

    # -- ModelCaller ---------------------------------------------------------------------------

    async def call(self, request: ChatRequest) -> CallResult:
        t_enter = _ns()
        group = self._by_model.get(request.model)
        self.counters.requests += 1
        if group is None:
            return self._fail(request, ek.NO_PROVIDER, t_enter)
        tokens = 0
        if self._limits:
            tokens = estimate_tokens(
                request.messages, request.max_tokens, self.config.rate_limit.estimated_output_tokens
            )
        tried: list[ProviderState] = []
        used: list[ProviderState] = []
        first_sent: int | None = None
        first_wait = 0
        prior_errors: list[str] = []
        attempts = n429 = rounds = 0
        inner_ns = wait_ns = 0
        waited_s = 0.0
        last: CallResult | None = None
        failure = ek.ALL_PROVIDERS_DOWN
        while len(used) < self._max_attempts:
            pick, wait_s, cause = self._select(group, tried, tokens, request.model)
            if pick is None:
                if wait_s > 0:
                    if waited_s + wait_s > self._max_wait:
                        failure = RATE_LIMIT_WAIT
                        break
                    wait_ns += await self._wait(wait_s, cause)
                    waited_s += wait_s
                    continue
                if cause == "health":
                    wait_ns += await self._await_health_checks(group)
                    continue
                if tried and self.config.retry_same_provider:
                    rounds += 1
                    delay = backoff_delay(self.config.backoff, rounds, self._rng)
                    if waited_s + delay > self._max_wait:
                        failure = RATE_LIMIT_WAIT
                        break
                    tried.clear()
                    wait_ns += await self._wait(delay, "backoff")
                    waited_s += delay
                    continue
                break
            limiter = pick.limiter
            if limiter is not None:
                if not self._reroute:
                    wait_s = limiter.wait_time(tokens)
                    if waited_s + wait_s > self._max_wait:
                        failure = RATE_LIMIT_WAIT
                        break
                    limiter.take(tokens)
                    if wait_s > 0:
                        wait_ns += await self._wait(wait_s, "rate_limit")
                        waited_s += wait_s
                else:
                    limiter.take(tokens)
            ticket = _NO_TICKET
            if pick.breaker is not None:
                ticket = pick.breaker.acquire()
                if ticket == REJECTED:  # its state moved while we waited for its budget
                    continue
            used.append(pick)
            result, spent = await self._attempt(pick, request, ticket)
            if len(used) == 1:
                # The call's request first went out here: later attempts, the waits between
                # them and their sends are the provider's to answer for.
                first_sent, first_wait = result.sent_ns, result.send_wait_ns + wait_ns
            inner_ns += spent
            attempts += result.attempts
            if last is not None:
                prior_errors.extend(last.attempt_errors)
                prior_errors.append(last.error_kind or ek.INTERNAL)
            if result.ok:
                result.sent_ns, result.send_wait_ns = first_sent, first_wait
                return self._finish(
                    result, used, prior_errors, attempts, t_enter, inner_ns, wait_ns
                )
            last = result
            kind = result.error_kind or ek.INTERNAL
            if kind not in self._retry_on:
                break
            if ek.is_rate_limited(kind):
                n429 += 1
                self.counters.responses_429 += 1
                retry_after = getattr(result, "retry_after_s", None)
                delay = backoff_delay(self.config.backoff, n429, self._rng, retry_after)
                pick.cooldown_until = max(pick.cooldown_until, self._clock() + delay)
            else:
                tried.append(pick)
        if last is not None:
            last.sent_ns, last.send_wait_ns = first_sent, first_wait
            return self._finish(last, used, prior_errors, attempts, t_enter, inner_ns, wait_ns)
        return self._fail(request, failure, t_enter, wait_ns)

    # -- selection -------------------------------------------------------------------------------

    def _select(
        self, group: list[ProviderState], tried: list[ProviderState], tokens: int, model: str
    ) -> tuple[ProviderState | None, float, str]:
        """An eligible provider now, or (None, seconds until one may be, why)."""
        if len(group) == 1 and not tried:  # the one-provider case adds almost nothing
            p = group[0]
            if (
                (p.breaker is None or p.breaker.state == CLOSED)
                and p.limiter is None
                and p.cooldown_until == 0.0
            ):
                return p, 0.0, ""
        ready: list[ProviderState] = []
        probe: ProviderState | None = None
        soonest = float("inf")
        cause = ""
        checking = False
        now = self._clock()
        for p in group:
            if tried and p in tried:
                continue
            b = p.breaker
            if b is not None and b.state != CLOSED:
                if b.state == OPEN and b.health_check_due():
                    self._start_health_check(p)
                if b.state == OPEN and b.checking:
                    checking = True
                if not b.available():
                    continue
                if b.state == HALF_OPEN and probe is None:
                    probe = p
            wait = p.cooldown_until - now
            if wait > _EPSILON_S:
                if wait < soonest:
                    soonest, cause = wait, "backoff"
                continue
            if self._reroute and p.limiter is not None:
                wait = p.limiter.wait_time(tokens)
                if wait > _EPSILON_S:
                    p.rate_limited += 1
                    if wait < soonest:
                        soonest, cause = wait, "rate_limit"
                    continue
            ready.append(p)
        if ready:
            # A provider on probation gets the next request, so recovery shows at once.
            if probe is not None and probe in ready:
                return probe, 0.0, ""
            return self._strategy.choose(ready, model), 0.0, ""
        if soonest != float("inf"):
            return None, soonest, cause
        return None, 0.0, "health" if checking else ""

    # -- one provider call ---------------------------------------------------------------------

    async def _attempt(
        self, p: ProviderState, request: ChatRequest, ticket: int
    ) -> tuple[CallResult, int]:
        p.in_flight += 1
        p.sent += 1
        self.counters.attempts += 1
        _count_traffic(p, self._timeline.now_s(), self._bucket_s)
        t0 = _ns()
        try:
            result = await p.caller.call(request)
        except asyncio.CancelledError:
            if p.breaker is not None:
                p.breaker.release(ticket)
            raise
        except Exception as exc:  # a bug below us: counted, never crashes the run
            result = CallResult(
                ok=False,
                provider=p.name,
                model=request.model,
                start_ns=t0,
                end_ns=_ns(),
                error_kind=ek.INTERNAL,
                error_detail=f"{type(exc).__name__}: {exc}",
            )
        finally:
            p.in_flight -= 1
        spent = _ns() - t0
        kind = None if result.ok else (result.error_kind or ek.INTERNAL)
        if p.breaker is not None:
            p.breaker.record(ticket, kind)
        if kind is None:
            p.ok += 1
            e2e_ms = (result.end_ns - result.start_ns) / 1e6
            p.latency_ms.append(e2e_ms)
            sample = e2e_ms
            if result.first_token_ns is not None:
                ttft_ms = (result.first_token_ns - result.start_ns) / 1e6
                p.ttft_ms.append(ttft_ms)
                if self._latency_ttft:
                    sample = ttft_ms
            prev = p.ewma_ms
            p.ewma_ms = sample if prev is None else prev + self._alpha * (sample - prev)
        else:
            p.errors[kind] = p.errors.get(kind, 0) + 1
        return result, spent

    # -- endings ---------------------------------------------------------------------------------

    def _finish(
        self,
        result: CallResult,
        used: list[ProviderState],
        prior_errors: list[str],
        attempts: int,
        t_enter: int,
        inner_ns: int,
        wait_ns: int,
    ) -> CallResult:
        """The answering (or last failing) provider's result, as the whole call's result."""
        c = self.counters
        final = used[-1]
        final.answered += 1
        if len(used) > 1:
            fallbacks = len({id(p) for p in used if p is not final})
            result.fallbacks = fallbacks
            if fallbacks:
                c.requests_with_fallback += 1
                c.fallbacks += fallbacks
        if prior_errors:
            result.attempt_errors = prior_errors + result.attempt_errors
        result.attempts = attempts
        if result.ok:
            c.ok += 1
        else:
            kind = result.error_kind or ek.INTERNAL
            c.errors[kind] = c.errors.get(kind, 0) + 1
        # The call began when it entered the router: fallbacks and waits are part of it.
        result.start_ns = t_enter
        stages = result.stages_ns
        stages["routing"] = stages.get("routing", 0) + _ns() - t_enter - inner_ns - wait_ns
        if wait_ns:
            stages["routing_wait"] = stages.get("routing_wait", 0) + wait_ns
        return result

    def _fail(self, request: ChatRequest, kind: str, t_enter: int, wait_ns: int = 0) -> CallResult:
        """A request no provider was called for."""
        c = self.counters
        c.fail_fast[kind] = c.fail_fast.get(kind, 0) + 1
        c.errors[kind] = c.errors.get(kind, 0) + 1
        end = _ns()
        stages = {"routing": end - t_enter - wait_ns}
        if wait_ns:
            stages["routing_wait"] = wait_ns
        detail = {
            ek.NO_PROVIDER: f"no provider serves model {request.model!r}",
            ek.ALL_PROVIDERS_DOWN: f"every provider of {request.model!r} is unavailable",
            RATE_LIMIT_WAIT: f"waiting for a provider would pass {self._max_wait:g}s",
        }.get(kind, "")
        return CallResult(
            ok=False,
            provider="",
            model=request.model,
            start_ns=t_enter,
            end_ns=end,
            error_kind=kind,
            error_detail=detail,
            attempts=0,
            stages_ns=stages,
        )

    # -- waiting and health checks ---------------------------------------------------------------

    async def _wait(self, seconds: float, cause: str) -> int:
        c = self.counters
        if cause == "rate_limit":
            c.rate_limit_waits += 1
            c.rate_limit_wait_s += seconds
        else:
            c.backoff_waits += 1
            c.backoff_wait_s += seconds
        t0 = _ns()
        await self._sleep(seconds)
        return _ns() - t0

    def _start_health_check(self, p: ProviderState) -> None:
        assert p.breaker is not None
        p.breaker.health_check_started()
        p.health_task = asyncio.get_running_loop().create_task(self._health_check(p))

    async def _health_check(self, p: ProviderState) -> None:
        breaker = p.breaker
        assert breaker is not None
        detail = ""
        try:
            check = p.caller.health_check  # type: ignore[attr-defined]
            passed = bool(await asyncio.wait_for(check(), self.config.health.timeout_s))
        except asyncio.CancelledError:
            breaker.health_check_finished(False, "cancelled")
            raise
        except TimeoutError:
            passed, detail = False, "timeout"
        except Exception as exc:
            passed, detail = False, type(exc).__name__
        finally:
            p.health_task = None
        if passed:
            p.health_ok += 1
        else:
            p.health_failed += 1
        breaker.health_check_finished(passed, detail)

    async def _await_health_checks(self, group: list[ProviderState]) -> int:
        tasks = [p.health_task for p in group if p.health_task is not None]
        t0 = _ns()
        if tasks:
            self.counters.health_waits += 1
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(0)
        return _ns() - t0

    # -- the rest of the surface -----------------------------------------------------------------

    def mark_start(self) -> None:
        """Make now the origin of the timeline and the traffic histogram (the run's start)."""
        self._timeline.origin = self._clock()

    def stats(self) -> dict[str, Any]:
        """The ``router`` section of summary.json (see the README)."""
        return build_report(
            self.config.strategy, self.providers, self.counters, self._timeline, self._bucket_s
        )

    async def aclose(self) -> None:
        """Stop running health checks and close the provider callers (the router owns them)."""
        tasks = [p.health_task for p in self.providers if p.health_task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._close_providers:
            for p in self.providers:
                close = getattr(p.caller, "aclose", None)
                if close is not None:
                    await close()
