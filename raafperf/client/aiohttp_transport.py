"""An httpx transport that moves bytes with aiohttp: httpx's API, aiohttp's speed.

Measured here, httpx's own transport (httpcore on anyio) costs ~3x the CPU per streamed
request of aiohttp's; see ``benchmarks/bench_client_transport.py``. ``httpx_aiohttp`` does
the same job but maps a server disconnect to ``ConnectTimeout``, cannot switch pooling off
and has no trace events, so raafperf carries this small one.

Failures are raised as httpx exceptions, as httpx's own transport would raise them, so the
caller has one exception vocabulary. Connection events reach a per-request trace object
(see :mod:`raafperf.client.pool_stats`) through aiohttp's public ``TraceConfig``.

The request goes out at once (see :class:`_PromptRequest`): aiohttp writes the head and
body from a task of its own, which on Python 3.11 waits for a trip through the event loop's
ready queue (p50 6-9 ms, p90 17-18 ms behind 100 streams' chunk callbacks, measured here), all
of it charged to the provider's TTFT.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import sys
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import aiohttp
import httpx

from raafperf.client.config import Timeouts
from raafperf.client.pool_stats import CallTrace

TRACE_EXTENSION = "raafperf_trace"
"""The request extension carrying a :class:`CallTrace` (aiohttp transport)."""

_HTTP11 = {"http_version": b"HTTP/1.1"}
_UNCLEAN_CLOSE = re.compile(r"\.\s+\w*(?:Error|Exception)\(")


def _map_exception(exc: BaseException, trace: CallTrace | None) -> httpx.TransportError:
    """The httpx exception httpx's own transport would have raised for this failure."""
    msg = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        if trace is not None and trace.queued:
            return httpx.PoolTimeout(msg)
        return httpx.ConnectTimeout(msg)
    if isinstance(exc, asyncio.TimeoutError):  # SocketTimeoutError and plain timeouts
        return httpx.ReadTimeout(msg)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(msg)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    if isinstance(exc, aiohttp.ClientPayloadError):
        # aiohttp keeps the parser's complaint as the cause and appends the socket error, if
        # any, to the message only: a reset reads "...>. ConnectionResetError(...)".
        if isinstance(exc.__cause__, OSError) or _UNCLEAN_CLOSE.search(msg):
            return httpx.ReadError(msg)
        # A clean close before the end of the body, as httpcore words it.
        return httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body ({msg})"
        )
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return httpx.ReadError(msg)
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return httpx.ReadError(msg)
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientConnectionError):
        return httpx.RemoteProtocolError(msg)
    return httpx.TransportError(msg)


class _ResponseStream(httpx.AsyncByteStream):
    """The body, with a lazy read timeout.

    aiohttp's ``sock_read`` re-arms a timer on every socket read (~10 µs per streamed token
    here, a third of the client's CPU on a token-by-token stream). After the headers, it is
    switched off and replaced by one timer per response that, when it fires, re-arms itself
    from the time of the last read, or ends the stream with a read timeout.
    """

    __slots__ = ("_handle", "_last", "_loop", "_read_timeout", "_response", "_trace")

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        trace: CallTrace | None,
        read_timeout: float | None,
    ) -> None:
        self._response = response
        self._trace = trace
        self._read_timeout = read_timeout
        self._handle: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()
        self._last = 0.0
        connection = response.connection
        if read_timeout and connection is not None and connection.protocol is not None:
            # The timer armed when the headers arrived still covers the first body read.
            connection.protocol.read_timeout = None
            self._last = self._loop.time()
            self._handle = self._loop.call_at(self._last + read_timeout, self._check)

    def _check(self) -> None:
        timeout = self._read_timeout
        assert timeout is not None
        if self._loop.time() - self._last < timeout:
            self._handle = self._loop.call_at(self._last + timeout, self._check)
            return
        self._handle = None
        self._response.content.set_exception(
            aiohttp.SocketTimeoutError("Timeout on reading data from socket")
        )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        loop = self._loop
        watched = self._handle is not None
        try:
            while True:
                chunk = await content.readany()
                if not chunk:
                    return
                if watched:
                    self._last = loop.time()
                yield chunk
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _map_exception(exc, self._trace) from exc

    async def aclose(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._response.release()


async def _queued_start(_s: Any, ctx: Any, _p: Any) -> None:
    trace = ctx.trace_request_ctx
    if trace is not None:
        trace.pool_wait_started()


async def _queued_end(_s: Any, ctx: Any, _p: Any) -> None:
    trace = ctx.trace_request_ctx
    if trace is not None:
        trace.pool_wait_ended()


async def _create_start(_s: Any, ctx: Any, _p: Any) -> None:
    trace = ctx.trace_request_ctx
    if trace is not None:
        trace.connect_started()


async def _create_end(_s: Any, ctx: Any, _p: Any) -> None:
    trace = ctx.trace_request_ctx
    if trace is not None:
        trace.connect_ended()


async def _headers_sent(_s: Any, ctx: Any, _p: Any) -> None:
    trace = ctx.trace_request_ctx
    if trace is not None:
        trace.headers_sent()


async def _chunk_sent(_s: Any, ctx: Any, _p: Any) -> None:
    # aiohttp calls this just before it hands the chunk (the head rides with the first one)
    # to the transport, in the same step: the closest stamp to the socket it offers.
    trace = ctx.trace_request_ctx
    if trace is not None and not trace.sent_ns:
        trace.body_sent()


_EAGER_BODY = sys.version_info < (3, 12)
"""aiohttp starts its body-writer task eagerly itself from Python 3.12 on."""


class _PromptRequest(aiohttp.ClientRequest):
    """aiohttp's request, written to the socket before ``send`` returns.

    ``write_bytes`` (whose coroutine aiohttp runs as a task) is started here, in the caller's
    step, as aiohttp itself does on Python >= 3.12; only what is left after its first
    suspension (a full socket buffer, a 100-continue) runs as the task. Both asyncio's and
    uvloop's transports then try the socket at once (uvloop >= 0.15 queues a write only
    behind unsent data).
    """

    def write_bytes(self, writer: Any, conn: Any, *args: Any, **kwargs: Any) -> Any:
        coro = super().write_bytes(writer, conn, *args, **kwargs)
        return _start_now(coro) if _EAGER_BODY else coro


def _start_now(coro: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
    """Run ``coro`` up to its first suspension now; the rest is a coroutine to await."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return _finished()
    except BaseException as exc:  # handed on to whoever awaits the task
        return _failed(exc)
    return _resume(coro, yielded)


async def _finished() -> None:
    return None


async def _failed(exc: BaseException) -> None:
    raise exc


async def _resume(coro: Coroutine[Any, Any, None], yielded: Any) -> None:
    """Drive a started coroutine on as its task would: wait for what it yielded (a future,
    or None for a bare yield), then resume it; it reads the future's outcome itself."""
    while True:
        cancel: BaseException | None = None
        try:
            if yielded is None:
                await asyncio.sleep(0)
            else:
                # Taken over from the coroutine, as a task would: a future still marked
                # blocking refuses a second await.
                yielded._asyncio_future_blocking = False
                await yielded
        except asyncio.CancelledError as exc:
            # Cancelled while waiting on the coroutine's own future: that future is cancelled
            # too, and the coroutine sees it. Otherwise, pass the cancellation in.
            if yielded is None or not yielded.cancelled():
                cancel = exc
        except Exception:  # the coroutine reads its future's exception itself
            pass
        try:
            yielded = coro.send(None) if cancel is None else coro.throw(cancel)
        except StopIteration:
            return


def _client_timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp's "connect" spans the pool wait and the connect, "sock_connect" the connect
    # alone, "sock_read" each read; it has no write timeout (a request body is one write).
    return aiohttp.ClientTimeout(
        total=None,
        connect=None if pool is None or connect is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (and connection pool) behind an httpx client."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None,
        verify: bool,
        pool: bool,
        max_connections: int,
        keepalive_expiry: float,
        timeouts: Timeouts,
    ) -> None:
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else verify
        self._pool = pool
        self._limit = max_connections
        self._keepalive = keepalive_expiry
        self._default_timeout = _client_timeout(timeouts.connect, timeouts.read, timeouts.pool)
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        trace = aiohttp.TraceConfig()
        trace.on_connection_queued_start.append(_queued_start)
        trace.on_connection_queued_end.append(_queued_end)
        trace.on_connection_create_start.append(_create_start)
        trace.on_connection_create_end.append(_create_end)
        trace.on_request_headers_sent.append(_headers_sent)
        trace.on_request_chunk_sent.append(_chunk_sent)
        if self._pool:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=0,
                ssl=self._ssl,
                keepalive_timeout=self._keepalive,
            )
        else:
            connector = aiohttp.TCPConnector(
                limit=self._limit, limit_per_host=0, ssl=self._ssl, force_close=True
            )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._default_timeout,
            trace_configs=[trace],
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes, as with its own transport
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
            request_class=_PromptRequest,
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        trace: CallTrace | None = request.extensions.get(TRACE_EXTENSION)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw}
        body = request.content or None
        ext = request.extensions.get("timeout")
        if ext is None:
            timeout = self._default_timeout
        else:
            key = (ext.get("connect"), ext.get("read"), ext.get("pool"))
            timeout = self._timeouts.get(key)  # type: ignore[assignment]
            if timeout is None:
                timeout = self._timeouts[key] = _client_timeout(*key)
        try:
            response = await session.request(
                request.method,
                str(request.url),
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=timeout,
                trace_request_ctx=trace,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _map_exception(exc, trace) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, trace, timeout.sock_read),
            request=request,
            extensions=_HTTP11,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
