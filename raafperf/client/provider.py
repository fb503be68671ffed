"""ProviderClient: one provider's pooled HTTP client, retry policy and API adapter.

The bottom layer of the model-call stack. One instance per provider lives for the whole
run, so connections are reused across requests (unless ``client.pool`` is false).

Hot path: the request is an ``httpx.Request`` handed straight to the client's transport
(``handle_async_request``, httpx's public transport API), skipping ``AsyncClient.send``'s
auth, redirect and cookie machinery, which cost ~40-100 µs per request and do nothing for an
LLM API. Embeddings and health checks go through the ``httpx.AsyncClient`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
from collections.abc import Mapping
from json import dumps, loads
from time import perf_counter_ns
from types import ModuleType
from typing import Any

import httpx

from raafperf import __version__
from raafperf.client import anthropic_api, openai_api
from raafperf.client import error_kinds as ek
from raafperf.client.aiohttp_transport import TRACE_EXTENSION
from raafperf.client.answer import error_detail, redact
from raafperf.client.faults import describe, kind_of_exception
from raafperf.client.pool_stats import CallTrace, PoolStats
from raafperf.client.retry import RetryDecider
from raafperf.client.transport import build_transport, timeout_extension
from raafperf.client.types import CallResult, ChatRequest
from raafperf.errors import UsageError
from raafperf.scenario.model import DEFAULT_BASE_URLS, ProviderConfig

SIMULATOR_KEY = "sk-raafperf-simulator"
"""What a simulated provider is sent when no key variable is set (the simulator takes any)."""


class EmbeddingFailed(Exception):
    """An embeddings request failed; ``error_kind`` says how (a provider fault, not a bug)."""

    def __init__(self, error_kind: str, detail: str = "") -> None:
        super().__init__(f"{error_kind}: {detail}" if detail else error_kind)
        self.error_kind = error_kind
        self.detail = detail


def resolve_api_key(provider: ProviderConfig) -> str:
    """The provider's key from its environment variable; a clear error when it is missing."""
    default_env = (
        anthropic_api.DEFAULT_KEY_ENV
        if provider.api_name == "anthropic"
        else openai_api.DEFAULT_KEY_ENV
    )
    simulated = provider.kind == "simulated"
    env = provider.api_key_env or (None if simulated else default_env)
    key = os.environ.get(env) if env else None
    if key:
        return key
    if simulated:
        return SIMULATOR_KEY
    raise UsageError(
        f"provider {provider.name!r}: the environment variable {env} is not set"
        " (it must hold the provider's API key)"
    )


def _api_root(provider: ProviderConfig, base_url: str | None) -> str:
    root = base_url or provider.base_url or DEFAULT_BASE_URLS.get(provider.kind)
    if not root:
        raise UsageError(
            f"provider {provider.name!r} has no base_url (a simulated provider's is set when"
            " its simulator starts)"
        )
    root = root.rstrip("/")
    if root.endswith("/v1"):
        root = root[:-3]
    if not root.startswith(("http://", "https://")):
        raise UsageError(f"provider {provider.name!r}: base_url must start with http(s)://")
    return root


class ProviderClient:
    """Implements :class:`~raafperf.client.types.ModelCaller` for one provider."""

    def __init__(
        self,
        provider: ProviderConfig,
        *,
        base_url: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.name = provider.name
        self.api = provider.api_name
        config = provider.client
        self.config = config
        api: ModuleType = anthropic_api if self.api == "anthropic" else openai_api
        self._api = api
        self._stream_class = api.AnthropicStream if self.api == "anthropic" else api.OpenAIStream
        root = _api_root(provider, base_url)
        self.base_url = root
        self._key = resolve_api_key(provider)
        self._chat_url = httpx.URL(root + api.CHAT_PATH)
        self._transport, self.transport_name = build_transport(
            config, tls=root.startswith("https://"), ca_file=ca_file
        )
        self._trace_key = TRACE_EXTENSION if self.transport_name == "aiohttp" else "trace"
        self._timeout_ext = timeout_extension(config)
        self._compress = config.compress_requests
        self._decode = config.accept_gzip
        common = [
            ("content-type", "application/json"),
            ("accept-encoding", "gzip" if config.accept_gzip else "identity"),
            ("user-agent", f"raafperf/{__version__}"),
            *api.auth_headers(self._key),
        ]
        if self._compress:
            common.append(("content-encoding", "gzip"))
        host = [("host", self._chat_url.netloc.decode("ascii"))]
        # Built once: httpx copies a Headers object without normalising it again.
        self._stream_headers = httpx.Headers([*host, ("accept", "text/event-stream"), *common])
        self._json_headers = httpx.Headers([*host, ("accept", "application/json"), *common])
        self._client = httpx.AsyncClient(
            transport=self._transport,
            base_url=root,
            headers=[h for h in common if h[0] != "content-encoding"],
            timeout=httpx.Timeout(
                connect=config.timeouts.connect,
                read=config.timeouts.read,
                write=config.timeouts.write,
                pool=config.timeouts.pool,
            ),
            follow_redirects=False,
        )
        # /v1/embeddings is an OpenAI-compatible endpoint whatever the provider's chat API.
        self._embed_headers = openai_api.auth_headers(self._key) if self.api != "openai" else None
        self._retry = RetryDecider(config.retries)
        self._pool = PoolStats()
        self.calls = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"ProviderClient({self.name!r}, {self.base_url!r}, api={self.api!r})"

    async def __aenter__(self) -> ProviderClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ModelCaller
    async def call(self, request: ChatRequest) -> CallResult:
        """One model call with retries; provider faults come back as ``error_kind``."""
        self.calls += 1
        body = self._api.build_body(request)
        if self._compress:
            body = gzip.compress(body, compresslevel=1, mtime=0)
        headers = self._stream_headers if request.stream else self._json_headers
        if request.headers:
            headers = self._merge_headers(headers, request.headers)
        decider = self._retry
        decider.start_call()
        attempt = 1
        first_start = 0
        first_sent: int | None = None
        first_wait = 0
        errors: list[str] = []
        while True:
            result, retry_after = await self._attempt(request, headers, body)
            if attempt == 1:
                first_start = result.start_ns
                first_sent, first_wait = result.sent_ns, result.send_wait_ns
            if result.ok:
                break
            kind = result.error_kind or ek.INTERNAL
            delay, why = decider.next_delay(
                kind,
                attempt,
                after_first_token=result.first_token_ns is not None,
                retry_after=retry_after,
            )
            if delay is None:
                if why:
                    result.error_detail = f"{result.error_detail} (not retried: {why})"
                break
            errors.append(kind)
            self.retries += 1
            await asyncio.sleep(delay)
            attempt += 1
        if attempt > 1:
            result.attempts = attempt
            result.attempt_errors = errors
            result.stages_ns["retries"] = result.start_ns - first_start
            result.start_ns = first_start
            result.sent_ns, result.send_wait_ns = first_sent, first_wait
        return result

    @staticmethod
    def _merge_headers(base: httpx.Headers, extra: Mapping[str, str]) -> httpx.Headers:
        headers = httpx.Headers(base)  # a copy, without normalising ours again
        for key, value in extra.items():
            headers[key] = value  # a request's own header replaces ours
        return headers

    async def _attempt(
        self, request: ChatRequest, headers: httpx.Headers, body: bytes
    ) -> tuple[CallResult, str | None]:
        trace = CallTrace()
        http_request = httpx.Request(
            "POST",
            self._chat_url,
            headers=headers,
            content=body,
            extensions={"timeout": self._timeout_ext, self._trace_key: trace},
        )
        pool = self._pool
        busy = pool.begin()
        start = perf_counter_ns()
        result = CallResult(
            ok=False, provider=self.name, model=request.model, start_ns=start, end_ns=start
        )
        retry_after: str | None = None
        parse_ns = 0
        response: httpx.Response | None = None
        state = None
        try:
            response = await self._transport.handle_async_request(http_request)
            status = response.status_code
            result.status = status
            if status != 200:
                data = await response.aread()
                result.error_kind = ek.http(status)
                result.error_detail = redact(error_detail(data), self._key)
                if status == 429 or status == 503 or status == 529:
                    retry_after = response.headers.get("retry-after")
            elif request.stream:
                state = self._stream_class()
                feed = state.feed
                chunks = (
                    response.aiter_bytes()
                    if self._decode and "content-encoding" in response.headers
                    else response.stream
                )
                async for chunk in chunks:
                    now = perf_counter_ns()
                    feed(chunk, now)
                    parse_ns += perf_counter_ns() - now
                    if state.error_kind is not None:
                        break
                state.finish(result)
                if state.error_kind is not None:
                    result.error_kind = state.error_kind
                    result.error_detail = state.error_detail
                elif not state.done:
                    result.error_kind = ek.STREAM_CUT
                    result.error_detail = "the stream ended without its final event"
                else:
                    result.ok = True
            else:
                data = await response.aread()
                now = perf_counter_ns()
                kind = self._api.parse_body(data, result, now)
                parse_ns = perf_counter_ns() - now
                if kind is None:
                    result.ok = True
                else:
                    result.error_kind = kind
        except httpx.HTTPError as exc:
            got_token = state is not None and state.first_token_ns is not None
            if state is not None:
                state.finish(result)
            kind = kind_of_exception(exc, got_response=response is not None, got_token=got_token)
            result.error_kind = kind
            detail = describe(exc)
            if kind == ek.STREAM_BROKEN:
                detail = f"after {len(result.token_ns)} content chunks: {detail}"
            result.error_detail = redact(detail, self._key)
        except Exception as exc:  # a bug here must cost one sample, not the run
            result.error_kind = ek.INTERNAL
            result.error_detail = redact(describe(exc), self._key)
        finally:
            if response is not None:
                with contextlib.suppress(httpx.HTTPError):
                    await response.aclose()
            end = perf_counter_ns()
            result.end_ns = end
            waited = 0
            if busy >= self.config.max_connections and trace.head_ns:
                # httpcore says nothing of its pool queue: what preceded the head, less the
                # connect, was the wait.
                waited = max(trace.head_ns - start - trace.connect_ns - trace.tls_ns, 0)
            pool.end(trace, waited_ns=waited)
        sent = trace.out_ns
        if sent:
            result.sent_ns = sent
            result.send_wait_ns = (trace.pool_wait_ns or waited) + trace.connect_ns + trace.tls_ns
            result.stages_ns = {
                "connection_wait": sent - start,
                "network": end - sent - parse_ns,
                "parsing": parse_ns,
            }
        if trace.new_connection:
            result.new_connection = True
            result.connect_ns = trace.connect_ns + trace.tls_ns
        return result, retry_after

    # the other endpoints
    async def embed(
        self, texts: list[str], model: str, dimensions: int | None = None
    ) -> list[list[float]]:
        """Embeddings from the OpenAI-compatible ``/v1/embeddings``, in input order.

        Raises :class:`EmbeddingFailed` (with an error kind) when the provider fails after
        the retry policy.
        """
        payload: dict[str, Any] = {"model": model, "input": texts, "encoding_format": "float"}
        if dimensions is not None:
            payload["dimensions"] = dimensions
        body = dumps(payload, separators=(",", ":")).encode()
        decider = self._retry
        decider.start_call()
        attempt = 1
        while True:
            retry_after = None
            try:
                response = await self._client.post(
                    openai_api.EMBEDDINGS_PATH, content=body, headers=self._embed_headers
                )
            except httpx.HTTPError as exc:
                kind = kind_of_exception(exc, got_response=False, got_token=False)
                detail = describe(exc)
            else:
                if response.status_code == 200:
                    try:
                        data = loads(response.content)["data"]
                        return [d["embedding"] for d in sorted(data, key=lambda d: d["index"])]
                    except (ValueError, KeyError, TypeError) as exc:
                        raise EmbeddingFailed(ek.MALFORMED, describe(exc)) from None
                kind = ek.http(response.status_code)
                detail = error_detail(response.content)
                retry_after = response.headers.get("retry-after")
            delay, _why = decider.next_delay(kind, attempt, retry_after=retry_after)
            if delay is None:
                raise EmbeddingFailed(kind, redact(detail, self._key))
            self.retries += 1
            await asyncio.sleep(delay)
            attempt += 1

    async def health_check(self, timeout: float = 5.0) -> bool:
        """True when ``GET /v1/models`` answers 200 within ``timeout`` seconds."""
        try:
            response = await self._client.get(
                openai_api.MODELS_PATH,
                timeout=httpx.Timeout(timeout),
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def stats(self) -> dict[str, Any]:
        """Pool and retry statistics of this provider so far (what the summary's ``pool``
        section shows per provider)."""
        out = self._pool.as_dict()
        budget = self._retry.budget
        out.update(
            provider=self.name,
            transport=self.transport_name,
            pool=self.config.pool,
            calls=self.calls,
            retries=self.retries,
            retry_budget_refused=budget.refused if budget is not None else 0,
        )
        return out

    async def aclose(self) -> None:
        """Close every connection (the client's transport is closed with it)."""
        await self._client.aclose()
