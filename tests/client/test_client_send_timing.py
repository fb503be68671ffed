"""When a call's request reaches the socket (``sent_ns``), and that nothing queues it first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

import pytest
import uvloop

from raafperf.client.aiohttp_transport import _start_now
from raafperf.client.types import ChatRequest

REQUEST_ID = "x-raafperf-request-id"
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


def ask(request_id: str, text: str = "Hello?") -> ChatRequest:
    return ChatRequest(
        model="m",
        messages=[{"role": "user", "content": text}],
        headers={REQUEST_ID: request_id},
    )


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_sent_ns_lies_between_the_start_and_the_first_token(sim, transport: str) -> None:
    async with sim.client("ok", transport=transport) as client:
        r = await client.call(ask(f"sent-order-{transport}"))
    assert r.ok, r.error_detail
    assert r.sent_ns is not None
    assert r.start_ns < r.sent_ns < r.first_token_ns
    # A new connection: the wait for it is the scenario's (connect), not the client's own.
    assert 0 < r.send_wait_ns <= r.sent_ns - r.start_ns
    if transport == "aiohttp":
        # Stamped just before the write (httpcore's event comes just after it, so there the
        # simulator may read the request first).
        truth = sim.truth("ok", {"sent-order-aiohttp"})
        assert truth and truth[0]["arrived_ns"] > r.sent_ns  # same clock


@pytest.mark.parametrize("size", [100, 20_000], ids=["small", "20KB"])
@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_request_leaves_before_the_loop_runs_anything_else(sim, loop: str, size: int) -> None:
    """Other streams' callbacks queued ahead (here one that holds the loop 200 ms) must not
    hold the request back: aiohttp's body-writer task used to put it behind all of them."""
    rid = f"leaves-now-{loop}-{size}"
    marks: dict[str, int] = {}

    def busy() -> None:
        marks["busy_start"] = perf_counter_ns()
        time.sleep(0.2)
        marks["busy_end"] = perf_counter_ns()

    async def main() -> Any:
        async with sim.client("ok") as client:
            warm = await client.call(ask(f"{rid}-warm"))  # opens the pooled connection
            assert warm.ok, warm.error_detail
            asyncio.get_running_loop().call_soon(busy)
            return await client.call(ask(rid, "x" * size))

    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        r = runner.run(main())
    assert r.ok, r.error_detail
    assert not r.new_connection and r.send_wait_ns == 0
    assert r.start_ns < r.sent_ns < marks["busy_start"]
    truth = sim.truth("ok", {rid})
    # The simulator (another process) read the request while this loop was still busy.
    assert truth and truth[0]["arrived_ns"] < marks["busy_end"]


class _SlowReader(asyncio.Protocol):
    """Reads nothing for 0.3 s (the client's write fills the socket buffers), then the whole
    request, then answers 200."""

    def __init__(self, got: bytearray) -> None:
        self.got = got

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.pause_reading()
        asyncio.get_running_loop().call_later(0.3, transport.resume_reading)

    def data_received(self, data: bytes) -> None:
        self.got += data
        head, _, body = bytes(self.got).partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(body) >= length:
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


async def test_a_body_the_socket_cannot_take_at_once_still_goes_out_whole(monkeypatch) -> None:
    # A body the kernel cannot take at once pauses the protocol: the rest of aiohttp's write
    # then runs as its task, after _start_now.
    import httpx

    from raafperf.client import aiohttp_transport
    from raafperf.client.config import ClientConfig

    handed_on: list[Any] = []
    resume = aiohttp_transport._resume

    def counting(coro: Any, yielded: Any) -> Any:
        handed_on.append(yielded)
        return resume(coro, yielded)

    monkeypatch.setattr(aiohttp_transport, "_resume", counting)
    got = bytearray()
    server = await asyncio.get_running_loop().create_server(
        lambda: _SlowReader(got), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    config = ClientConfig()
    transport = aiohttp_transport.AiohttpTransport(
        ssl_context=None,
        verify=True,
        pool=True,
        max_connections=4,
        keepalive_expiry=5.0,
        timeouts=config.timeouts,
    )
    body = b"x" * 16_000_000
    try:
        request = httpx.Request("POST", f"http://127.0.0.1:{port}/", content=body)
        response = await asyncio.wait_for(transport.handle_async_request(request), 10)
        assert response.status_code == 200
        await response.aclose()
    finally:
        await transport.aclose()
        server.close()
    assert handed_on  # the write did not fit: the rest went on as a task
    assert got.endswith(body)


async def test_start_now_runs_a_coroutine_to_its_end_at_once() -> None:
    seen: list[str] = []

    async def work() -> None:
        seen.append("ran")

    rest = _start_now(work())
    assert seen == ["ran"]  # before anything was awaited
    assert await rest is None


async def test_start_now_hands_the_rest_on_after_the_first_suspension() -> None:
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[int] = loop.create_future()
    failing: asyncio.Future[int] = loop.create_future()
    seen: list[Any] = []

    async def work() -> None:
        seen.append("before")
        seen.append(await gate)
        await asyncio.sleep(0)  # a bare yield
        try:
            await failing
        except ValueError as exc:
            seen.append(str(exc))

    task = asyncio.ensure_future(_start_now(work()))
    assert seen == ["before"]
    await asyncio.sleep(0)
    assert not task.done()
    gate.set_result(7)
    failing.set_exception(ValueError("read by the coroutine"))
    await asyncio.wait_for(task, 1)
    assert seen == ["before", 7, "read by the coroutine"]


async def test_start_now_passes_a_cancellation_in() -> None:
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[None] = loop.create_future()
    seen: list[str] = []

    async def work() -> None:
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = asyncio.ensure_future(_start_now(work()))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"] and gate.cancelled()


async def test_start_now_raises_a_synchronous_failure_when_awaited() -> None:
    async def work() -> None:
        raise RuntimeError("boom")

    rest = _start_now(work())
    with pytest.raises(RuntimeError, match="boom"):
        await rest
