"""Connection-pool statistics from transport trace events.

A :class:`CallTrace` lives for one HTTP attempt and receives the connection events of
either transport: httpcore's ``trace`` extension (``await trace(name, info)``) or the
aiohttp transport's hooks. :class:`PoolStats` sums them per provider.
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import Any


class CallTrace:
    """Connection events of one request, as ``perf_counter_ns`` stamps and durations."""

    __slots__ = (
        "connect_ns",
        "connect_start",
        "head_ns",
        "new_connection",
        "pool_wait_ns",
        "queued",
        "sent_ns",
        "tls_ns",
        "tls_start",
        "wait_start",
    )

    def __init__(self) -> None:
        self.new_connection = False
        self.connect_start = 0
        self.connect_ns = 0
        """TCP connect (and, on the aiohttp transport, the TLS handshake)."""
        self.tls_start = 0
        self.tls_ns = 0
        self.wait_start = 0
        self.pool_wait_ns = 0
        self.queued = False
        self.head_ns = 0
        """When the request head was handed to the connection (aiohttp keeps it back to send
        it with the body)."""
        self.sent_ns = 0
        """When the request (head and body) was handed to the socket."""

    @property
    def out_ns(self) -> int:
        """When the request went out: ``sent_ns``, or ``head_ns`` for a request without a
        body; 0 when it never did."""
        return self.sent_ns or self.head_ns

    # aiohttp transport hooks
    def pool_wait_started(self) -> None:
        self.queued = True
        self.wait_start = perf_counter_ns()

    def pool_wait_ended(self) -> None:
        self.queued = False
        self.pool_wait_ns += perf_counter_ns() - self.wait_start

    def connect_started(self) -> None:
        self.new_connection = True
        self.connect_start = perf_counter_ns()

    def connect_ended(self) -> None:
        self.connect_ns += perf_counter_ns() - self.connect_start

    def headers_sent(self) -> None:
        if not self.head_ns:
            self.head_ns = perf_counter_ns()

    def body_sent(self) -> None:
        self.sent_ns = perf_counter_ns()

    # httpcore's trace extension
    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        # Names are "<layer>.<step>.<started|complete|failed>".
        if name[-8:] == ".started":
            step = name[:-8]
            if step.endswith("send_request_headers"):
                if not self.head_ns:
                    self.head_ns = perf_counter_ns()
            elif step == "connection.connect_tcp":
                self.connect_started()
            elif step == "connection.start_tls":
                self.tls_start = perf_counter_ns()
        elif name.endswith(".send_request_body.complete"):
            # httpcore has written the body to its stream (the head went before it).
            if not self.sent_ns:
                self.sent_ns = perf_counter_ns()
        elif name == "connection.connect_tcp.complete":
            self.connect_ended()
        elif name == "connection.start_tls.complete":
            self.tls_ns += perf_counter_ns() - self.tls_start


class PoolStats:
    """Per-provider totals; ``as_dict()`` is what ``ProviderClient.stats()`` returns."""

    __slots__ = (
        "connect_failures",
        "connect_ns",
        "connections_opened",
        "in_flight",
        "max_in_flight",
        "pool_wait_ns",
        "pool_waits",
        "requests",
        "tls_handshakes",
        "tls_ns",
    )

    def __init__(self) -> None:
        self.requests = 0
        self.connections_opened = 0
        self.connect_failures = 0
        self.connect_ns = 0
        self.tls_handshakes = 0
        self.tls_ns = 0
        self.pool_waits = 0
        self.pool_wait_ns = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def begin(self) -> int:
        """A request enters the pool; returns how many were in flight before it."""
        before = self.in_flight
        self.in_flight = before + 1
        if before >= self.max_in_flight:
            self.max_in_flight = before + 1
        return before

    def end(self, trace: CallTrace, *, waited_ns: int = 0) -> None:
        """A request leaves; ``waited_ns`` is a pool wait measured by the caller (httpcore
        has no queue event)."""
        self.in_flight -= 1
        self.requests += 1
        if trace.new_connection:
            if trace.connect_ns:
                self.connections_opened += 1
                self.connect_ns += trace.connect_ns
            else:
                self.connect_failures += 1
        if trace.tls_ns:
            self.tls_handshakes += 1
            self.tls_ns += trace.tls_ns
        wait = trace.pool_wait_ns or waited_ns
        if wait:
            self.pool_waits += 1
            self.pool_wait_ns += wait

    def as_dict(self) -> dict[str, Any]:
        opened = self.connections_opened
        requests = self.requests
        return {
            "requests": requests,
            "connections_opened": opened,
            "requests_per_connection": requests / opened if opened else None,
            "reuse_ratio": 1 - opened / requests if requests else None,
            "connect_failures": self.connect_failures,
            "connect_ms_total": self.connect_ns / 1e6,
            "connect_ms_mean": self.connect_ns / opened / 1e6 if opened else None,
            "tls_handshakes": self.tls_handshakes,
            "tls_ms_total": self.tls_ns / 1e6,
            "tls_ms_mean": self.tls_ns / self.tls_handshakes / 1e6 if self.tls_handshakes else None,
            "pool_waits": self.pool_waits,
            "pool_wait_ms_total": self.pool_wait_ns / 1e6,
            "pool_wait_ms_mean": self.pool_wait_ns / self.pool_waits / 1e6
            if self.pool_waits
            else None,
            "max_in_flight": self.max_in_flight,
        }
