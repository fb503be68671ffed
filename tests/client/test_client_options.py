"""Options the simulator does not exercise: gzip both ways and HTTP/2, on a small aiohttp
server on loopback; and which transport each setting picks."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from raafperf.client.config import ClientConfig
from raafperf.client.provider import ProviderClient
from raafperf.client.transport import transport_name
from raafperf.client.types import ChatRequest
from raafperf.errors import UsageError
from raafperf.scenario.model import ProviderConfig

SSE = (
    b'data: {"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":" gzip"},"finish_reason":"stop"}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}\n\n'
    b"data: [DONE]\n\n"
)


@pytest.fixture
async def gzip_server() -> AsyncIterator[tuple[str, list[dict]]]:
    seen: list[dict] = []

    async def chat(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        encoding = request.headers.get("Content-Encoding", "")
        # aiohttp's server inflates a gzip body itself; the header says what was sent
        body = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        seen.append(
            {"encoding": encoding, "accept": request.headers.get("Accept-Encoding"), "body": body}
        )
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(
                body=gzip.compress(SSE),
                content_type="text/event-stream",
                headers={"Content-Encoding": "gzip"},
            )
        return web.Response(body=SSE, content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


def provider(**client: object) -> ProviderConfig:
    return ProviderConfig(name="local", kind="simulated", models=["m"], client=client)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_gzip_both_ways(gzip_server, transport: str) -> None:
    url, seen = gzip_server
    ask = ChatRequest(model="m", messages=[{"role": "user", "content": "Hi " * 50}])
    cfg = provider(transport=transport, accept_gzip=True, compress_requests=True)
    async with ProviderClient(cfg, base_url=url) as client:
        packed = await client.call(ask)
    async with ProviderClient(provider(transport=transport), base_url=url) as client:
        plain = await client.call(ask)
    for r in (packed, plain):
        assert r.ok, r.error_detail
        assert r.text == "Hello gzip" and r.completion_tokens == 2
    assert seen[0]["encoding"] == "gzip" and seen[0]["accept"] == "gzip"
    assert seen[1]["encoding"] == "" and seen[1]["accept"] == "identity"
    assert seen[0]["body"] == seen[1]["body"]
    assert seen[0]["body"]["messages"][0]["content"].startswith("Hi Hi")


async def test_http2_setting_needs_the_httpx_transport(sim) -> None:
    assert transport_name(ClientConfig()) == "aiohttp"
    assert transport_name(ClientConfig(http2=True)) == "httpx"
    with pytest.raises(UsageError, match="http2"):
        ProviderClient(provider(http2=True, transport="aiohttp"), base_url="https://x.test")
    # The simulator offers only http/1.1 through ALPN: the client falls back to it.
    async with sim.client("tls", http2=True, ca=True) as client:
        r = await client.call(ChatRequest(model="m", messages=[{"role": "user", "content": "x"}]))
        assert r.ok, r.error_detail
        assert client.stats()["transport"] == "httpx"


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(UsageError, match="base_url"):
        ProviderClient(provider())
    with pytest.raises(UsageError, match="http"):
        ProviderClient(provider(), base_url="ftp://127.0.0.1:1")
    with pytest.raises(UsageError, match="CA file"):
        ProviderClient(provider(ca_file="/nonexistent/ca.pem"), base_url="https://127.0.0.1:1")
    with pytest.raises(ValueError, match="retry_on"):
        ClientConfig(retries={"retry_on": ["429", "429"]})
