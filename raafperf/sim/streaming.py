"""Sending one SSE answer token by token at its deadlines, driven by the loop's Ticker."""

from __future__ import annotations

import asyncio
from time import perf_counter_ns
from typing import Protocol

from raafperf.sim.answer import Stream
from raafperf.sim.http1 import LAST_CHUNK, Connection, chunk
from raafperf.sim.timing import ticker

_BACKPRESSURE_RETRY_NS = 1_000_000


class Outcome(Protocol):
    headers_sent_ns: int | None
    token_ns: list[int] | None
    due_ns: list[int] | None
    end_ns: int | None
    outcome: str
    completed: bool


class StreamSender:
    """Writes the head at ``start_ns`` and token i at ``start_ns + offsets[i]``.

    Tokens due at the same instant (a zero gap) go out in one write; otherwise one write per
    token, even when the loop is behind. Stream faults: ``cut_stream`` and
    ``reset_mid_stream`` stop after half the tokens, ``malformed_event`` slips a non-JSON
    event in at the half.
    """

    def __init__(
        self,
        conn: Connection,
        head: bytes,
        stream: Stream,
        offsets: list[int],
        start_ns: int,
        fault: str | None,
        out: Outcome,
    ) -> None:
        n = len(stream.tokens)
        self.conn, self.stream, self.offsets, self.start_ns = conn, stream, offsets, start_ns
        self.fault, self.out = fault, out
        self.stop_after = max(1, n // 2) if fault in ("reset_mid_stream", "cut_stream") else n
        self.malformed_after = max(1, n // 2) if fault == "malformed_event" else -1
        self.pending = head + (chunk(stream.prelude) if stream.prelude else b"")
        self.i = 0
        self.cancelled = False
        self.token_ns: list[int] = []
        out.token_ns = self.token_ns
        out.due_ns = [start_ns + offset for offset in offsets[: self.stop_after]]
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def start(self) -> asyncio.Future[None]:
        if self.start_ns <= perf_counter_ns():
            self._head()  # nothing to wait for: no timer, no extra loop turn
        else:
            ticker().at(self.start_ns, self._head)
        return self.done

    def cancel(self) -> None:
        self.cancelled = True
        self._finish()

    def _head(self) -> None:
        if self.cancelled or self.conn.closed:
            self._finish()
            return
        if self.offsets[0] > 0:
            self.out.headers_sent_ns = perf_counter_ns()
            self.conn.write(self.pending)
            self.pending = b""
            ticker().at(self.start_ns + self.offsets[0], self._step)
        else:
            self._step()

    def _step(self) -> None:
        conn = self.conn
        if self.cancelled or conn.closed:
            self._finish()
            return
        if conn.writing_paused:
            ticker().at(perf_counter_ns() + _BACKPRESSURE_RETRY_NS, self._step)
            return
        offsets, tokens, stop = self.offsets, self.stream.tokens, self.stop_after
        n = len(tokens)
        while True:
            i = self.i
            offset = offsets[i]
            j = i + 1
            while j < stop and offsets[j] == offset:
                j += 1
            parts = [self.pending]
            parts.extend(chunk(tokens[k]) for k in range(i, j))
            if i < self.malformed_after <= j:
                parts.append(chunk(self.stream.malformed))
            if j == n:
                parts.append(chunk(self.stream.final))
                parts.append(LAST_CHUNK)
            elif j == stop and self.fault == "cut_stream":
                parts.append(LAST_CHUNK)
            data = b"".join(parts)
            # Stamped as the bytes are handed over: on loopback the client may read them
            # before write() returns, and a send must never look later than its receipt.
            now = perf_counter_ns()
            conn.write(data)
            if self.pending:
                self.out.headers_sent_ns = now
                self.pending = b""
            self.token_ns.extend([now] * (j - i))
            self.i = j
            if j >= stop:
                self._end()
                return
            due = self.start_ns + offsets[j]
            if due > now or conn.writing_paused:
                ticker().at(max(due, now), self._step)
                return

    def _end(self) -> None:
        self.out.completed = True
        if self.fault == "reset_mid_stream":
            self.conn.reset()
            self.out.outcome = "reset"
        elif self.fault == "cut_stream":
            self.conn.close()
            self.out.outcome = "cut"
        elif self.fault == "malformed_event":
            self.out.outcome = "malformed"
        self.out.end_ns = perf_counter_ns()
        self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
