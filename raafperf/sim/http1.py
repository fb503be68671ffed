"""A small, fast HTTP/1.1 server connection on asyncio.Protocol.

The simulator needs what a general framework hides: the identity and age of each
connection, resets at chosen moments, and one write per token with nothing in between.
Only what LLM clients send is supported: keep-alive, Content-Length or chunked bodies,
no pipelining beyond buffering (requests on one connection are served in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

MAX_HEAD = 64 * 1024
MAX_BODY = 32 * 1024 * 1024

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Site Overloaded",
}

_connection_ids = itertools.count(1)


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    arrived_ns: int
    keep_alive: bool = True
    query: str = ""


@dataclass(slots=True)
class _Partial:
    """A request whose head has been parsed and whose body is still arriving."""

    request: Request
    body_length: int | None
    chunked: bool
    body_start: int
    chunks: list[bytes] = field(default_factory=list)


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str], bool]:
    """Parse a request head (without the blank line): method, path, query, headers, keep-alive."""
    try:
        text = head.decode("latin-1")
        lines = text.split("\r\n")
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise BadRequest(400, "malformed request line") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(400, "malformed header line")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    path, _, query = target.partition("?")
    conn = headers.get("connection", "").lower()
    keep_alive = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
    return method, path, query, headers, keep_alive


def _decode_chunked(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``start``; None while incomplete."""
    pos = start
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        except ValueError as exc:
            raise BadRequest(400, "malformed chunk size") from exc
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            if end < 0:
                return None
            return b"".join(parts), end + 4
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2
        if sum(map(len, parts)) > MAX_BODY:
            raise BadRequest(413, "request body too large")


def take_request(buf: bytearray) -> Request | None:
    """Remove one complete request from the front of ``buf``; None while incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise BadRequest(431, "request head too large")
        return None
    method, path, query, headers, keep_alive = parse_head(bytes(buf[:end]))
    start = end + 4
    if "chunked" in headers.get("transfer-encoding", "").lower():
        done = _decode_chunked(buf, start)
        if done is None:
            return None
        body, consumed = done
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise BadRequest(400, "malformed content-length") from exc
        if length > MAX_BODY:
            raise BadRequest(413, "request body too large")
        if len(buf) < start + length:
            return None
        body = bytes(buf[start : start + length])
        consumed = start + length
    del buf[:consumed]
    return Request(method, path, headers, body, time.perf_counter_ns(), keep_alive, query)


def response_head(
    status: int,
    headers: list[tuple[str, str]],
    *,
    content_length: int | None,
    keep_alive: bool = True,
) -> bytes:
    """Status line and headers; chunked transfer encoding when no length is given."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    if content_length is None:
        lines.append("transfer-encoding: chunked")
    else:
        lines.append(f"content-length: {content_length}")
    if not keep_alive:
        lines.append("connection: close")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"

Handler = Callable[["Connection", Request], Awaitable[None]]


class Connection(asyncio.Protocol):
    """One client connection; hands each complete request to ``handler`` in order."""

    def __init__(self, handler: Handler, on_close: Callable[[Connection], None] | None = None):
        self._handler = handler
        self._on_close = on_close
        self._buf = bytearray()
        self._continued = False
        self._task: asyncio.Task[None] | None = None
        self._paused: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.id = next(_connection_ids)
        self.requests_served = 0
        self.closed = False
        self.closed_ns: int | None = None
        self.opened_ns = time.perf_counter_ns()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._dispatch()

    def eof_received(self) -> bool | None:
        # A half-closed client is gone for our purposes; a hang must end here too.
        self._lost()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost()

    def pause_writing(self) -> None:
        if self._paused is None:
            self._paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._paused is not None:
            if not self._paused.done():
                self._paused.set_result(None)
            self._paused = None

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The request being served now, if any."""
        return self._task

    @property
    def writing_paused(self) -> bool:
        """The transport's buffer is full: wait before writing more."""
        return self._paused is not None

    # used by request handlers
    def write(self, data: bytes) -> None:
        if not self.closed and self.transport is not None:
            self.transport.write(data)

    async def drain(self) -> None:
        if self._paused is not None:
            await asyncio.wait({self._paused, self.lost}, return_when=asyncio.FIRST_COMPLETED)

    def close(self) -> None:
        """Close cleanly (FIN after pending data)."""
        if self.transport is not None and not self.closed:
            self.transport.close()

    def reset(self) -> None:
        """Drop the connection with a TCP RST: the client sees ECONNRESET."""
        if self.transport is None or self.closed:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
        self._lost()

    # internals
    def _lost(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.closed_ns = time.perf_counter_ns()
        if not self.lost.done():
            self.lost.set_result(None)
        if self._paused is not None and not self._paused.done():
            self._paused.set_result(None)
        if self._on_close is not None:
            self._on_close(self)

    def _dispatch(self) -> None:
        if self.closed:
            return
        try:
            request = take_request(self._buf)
        except BadRequest as exc:
            body = str(exc).encode()
            head = response_head(
                exc.status,
                [("content-type", "text/plain")],
                content_length=len(body),
                keep_alive=False,
            )
            self.write(head + body)
            self.close()
            return
        if request is None:
            self._maybe_continue()
            return
        self._continued = False
        self._task = asyncio.get_running_loop().create_task(self._serve(request))

    def _maybe_continue(self) -> None:
        """Answer ``Expect: 100-continue`` (curl sends it for larger bodies) once per request."""
        if self._continued:
            return
        end = self._buf.find(b"\r\n\r\n")
        if end >= 0 and b"100-continue" in bytes(self._buf[:end]).lower():
            self._continued = True
            self.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def _serve(self, request: Request) -> None:
        try:
            await self._handler(self, request)
        finally:
            self.requests_served += 1
            self._task = None
        if not request.keep_alive:
            self.close()
        elif not self.closed and self._buf:
            self._dispatch()
