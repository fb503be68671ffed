"""A circuit breaker per provider: a pure state machine over an injected clock.

    closed ──(failures in window ≥ threshold, or failure rate ≥ rate with ≥ min calls)──▶ open
    open ──(reset timeout passed; health check passes, or health checks are off)──▶ half_open
    open ──(health check fails)──▶ open (the reset timeout starts again)
    half_open ──(success_threshold probe successes)──▶ closed
    half_open ──(a probe fails)──▶ open

A call asks :meth:`acquire` for a ticket and hands it back with its outcome to
:meth:`record`. Tickets carry the breaker's episode (it changes on every transition), so an
outcome of a call admitted before a transition never moves the new state. In half-open only
``half_open_max_calls`` tickets are out at once; everyone else is refused.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Container

from raafperf.router.config import BreakerConfig

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

REJECTED = 0
"""The ticket :meth:`CircuitBreaker.acquire` returns when the call may not go."""

OnChange = Callable[[str, str, str], None]
"""(from_state, to_state, reason)"""


class CircuitBreaker:
    __slots__ = (
        "_calls",
        "_checking",
        "_clock",
        "_counted",
        "_episode",
        "_failures",
        "_health",
        "_max_probes",
        "_min_calls",
        "_on_change",
        "_opened_at",
        "_probe_successes",
        "_probes",
        "_rate",
        "_reset_s",
        "_success_threshold",
        "_threshold",
        "_window",
        "_window_calls",
        "_window_s",
        "opens",
        "state",
    )

    def __init__(
        self,
        config: BreakerConfig,
        counted: Container[str | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        health_checks: bool = True,
        on_change: OnChange | None = None,
    ) -> None:
        self._clock = clock
        self._counted = counted
        self._health = health_checks
        self._on_change = on_change
        self._threshold = config.failure_threshold
        self._rate = config.failure_rate
        self._min_calls = config.min_calls
        self._window_s = config.window_s
        self._window_calls = config.window_calls
        self._reset_s = config.reset_timeout_s
        self._max_probes = config.half_open_max_calls
        self._success_threshold = config.success_threshold
        # (time, failed) of the calls in the window; only failures in a time window with
        # no rate rule (successes could not matter).
        self._window: deque[tuple[float, bool]] = deque()
        self._calls = 0
        self._failures = 0
        self.state = CLOSED
        self._episode = 1
        self._opened_at = 0.0
        self._checking = False
        self._probes = 0
        self._probe_successes = 0
        self.opens = 0

    # -- admission -------------------------------------------------------------------------

    def available(self) -> bool:
        """Whether :meth:`acquire` would admit a call now (it takes nothing)."""
        if self.state == CLOSED:
            return True
        if self.state == OPEN:
            if self._health or self._clock() - self._opened_at < self._reset_s:
                return False
            self._move(HALF_OPEN, "reset timeout passed (health checks off)")
        return self._probes < self._max_probes

    def acquire(self) -> int:
        """A ticket for one call, or :data:`REJECTED`."""
        if self.state == CLOSED:
            return self._episode
        if not self.available():
            return REJECTED
        self._probes += 1
        return self._episode

    def record(self, ticket: int, error_kind: str | None) -> None:
        """The outcome of an admitted call: ``None`` for success, else its error kind.

        Kinds not in the counted class are neutral: they neither trip nor close.
        """
        if ticket != self._episode:
            return
        failed = error_kind is not None
        if failed and error_kind not in self._counted:
            self.release(ticket)
            return
        if self.state == CLOSED:
            self._note(failed)
            return
        # half-open: this was a probe
        self._probes -= 1
        if failed:
            self._open(f"probe failed: {error_kind}")
            return
        self._probe_successes += 1
        if self._probe_successes >= self._success_threshold:
            self._move(CLOSED, "probe succeeded")

    def release(self, ticket: int) -> None:
        """Give back a ticket without an outcome (cancelled, or a neutral error)."""
        if ticket == self._episode and self.state == HALF_OPEN:
            self._probes -= 1

    # -- health checks (driven by the router, which does the I/O) ----------------------------

    def health_check_due(self) -> bool:
        """Open, the reset timeout has passed and no health check is running."""
        return (
            self.state == OPEN
            and self._health
            and not self._checking
            and self._clock() - self._opened_at >= self._reset_s
        )

    def health_check_started(self) -> None:
        self._checking = True

    def health_check_finished(self, passed: bool, detail: str = "") -> None:
        self._checking = False
        if self.state != OPEN:
            return
        if passed:
            self._move(HALF_OPEN, "health check passed")
        else:
            self._open(f"health check failed{': ' + detail if detail else ''}")

    @property
    def checking(self) -> bool:
        return self._checking

    def seconds_until_check(self) -> float:
        """While open: time until the reset timeout has passed (0 when it has)."""
        return max(0.0, self._reset_s - (self._clock() - self._opened_at))

    # -- internals -----------------------------------------------------------------------------

    def _note(self, failed: bool) -> None:
        window = self._window
        if self._window_calls is None:
            now = self._clock()
            horizon = now - self._window_s
            while window and window[0][0] <= horizon:
                self._failures -= window.popleft()[1]
                self._calls -= 1
            if self._rate is None and not failed:
                return
            window.append((now, failed))
        else:
            window.append((0.0, failed))
            if self._calls == self._window_calls:
                self._failures -= window.popleft()[1]
                self._calls -= 1
        self._calls += 1
        if not failed:
            return
        self._failures += 1
        windowed = self._window_calls is not None
        span = f"in the last {self._calls} calls" if windowed else f"in {self._window_s:g}s"
        if self._threshold is not None and self._failures >= self._threshold:
            self._open(f"{self._failures} failures {span}")
        elif (
            self._rate is not None
            and self._calls >= self._min_calls
            and self._failures >= self._rate * self._calls
        ):
            share = f"failure rate {self._failures / self._calls:.0%}"
            if windowed:
                self._open(f"{share} over the last {self._calls} calls")
            else:
                self._open(f"{share} over {self._calls} calls {span}")

    def _open(self, reason: str) -> None:
        if self.state != OPEN:
            self.opens += 1
        self._opened_at = self._clock()
        self._move(OPEN, reason)

    def _move(self, to: str, reason: str) -> None:
        before = self.state
        self.state = to
        self._episode += 1
        self._probes = 0
        self._probe_successes = 0
        if to == CLOSED:
            self._window.clear()
            self._calls = self._failures = 0
        if self._on_change is not None:
            self._on_change(before, to, reason)
