"""Builds the connection layer under a provider's httpx client from its ClientConfig."""

from __future__ import annotations

import ssl

import httpx

from raafperf.client.config import ClientConfig
from raafperf.errors import UsageError

AUTO_TRANSPORT = "aiohttp"
"""What ``transport: auto`` means: aiohttp's connection layer measured ~2-3x cheaper in client
CPU per streamed request than httpcore's (benchmarks/bench_client_transport.py). HTTP/2 needs
httpcore, so ``http2: true`` makes auto pick httpx."""


def transport_name(config: ClientConfig) -> str:
    if config.transport != "auto":
        return config.transport
    return "httpx" if config.http2 else AUTO_TRANSPORT


def ssl_context(config: ClientConfig, ca_file: str | None) -> ssl.SSLContext:
    if config.verify:
        cafile = ca_file or config.ca_file
        try:
            ctx = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load the CA file {cafile!r}: {exc}") from None
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx  # httpcore sets the ALPN protocols (h2) itself


def build_transport(
    config: ClientConfig, *, tls: bool, ca_file: str | None
) -> tuple[httpx.AsyncBaseTransport, str]:
    """(transport, its name) for one provider; one per provider for the whole run."""
    name = transport_name(config)
    ctx = ssl_context(config, ca_file) if tls else None
    if name == "aiohttp":
        if config.http2:
            raise UsageError("http2 needs transport: httpx (aiohttp speaks HTTP/1.1 only)")
        from raafperf.client.aiohttp_transport import AiohttpTransport

        return AiohttpTransport(
            ssl_context=ctx,
            verify=config.verify,
            pool=config.pool,
            max_connections=config.max_connections,
            keepalive_expiry=config.keepalive_expiry,
            timeouts=config.timeouts,
        ), name
    limits = httpx.Limits(
        max_connections=config.max_connections,
        # No keep-alive at all: httpcore closes each connection when its response ends.
        max_keepalive_connections=config.max_keepalive_connections if config.pool else 0,
        keepalive_expiry=config.keepalive_expiry,
    )
    transport = httpx.AsyncHTTPTransport(
        verify=ctx if ctx is not None else config.verify,
        http1=True,
        http2=config.http2,
        limits=limits,
        retries=0,
    )
    return transport, name


def timeout_extension(config: ClientConfig) -> dict[str, float | None]:
    t = config.timeouts
    return {"connect": t.connect, "read": t.read, "write": t.write, "pool": t.pool}
