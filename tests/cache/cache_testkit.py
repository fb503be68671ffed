"""Fixtures of the cache tests: a counting model caller, a fake clock, a real redis-server on
loopback, and the three backends behind one parametrized fixture."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from time import perf_counter_ns
from typing import Any

import pytest

from raafperf.cache.config import CacheConfig
from raafperf.cache.local_redis import local_redis, redis_server_binary
from raafperf.client.types import CallResult, ChatRequest, ToolCall

BACKENDS = ["memory", "sqlite", "redis"]


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingCaller:
    """A ModelCaller that answers from the request and counts calls; ``fail`` makes the next
    answers errors, ``cut`` makes them cut streams."""

    def __init__(self) -> None:
        self.calls = 0
        self.requests: list[ChatRequest] = []
        self.mode = "ok"

    async def call(self, request: ChatRequest) -> CallResult:
        self.calls += 1
        self.requests.append(request)
        start = perf_counter_ns()
        last = request.messages[-1].get("content", "") if request.messages else ""
        if self.mode == "error":
            return CallResult(
                ok=False,
                provider="inner",
                model=request.model,
                start_ns=start,
                end_ns=perf_counter_ns(),
                status=503,
                error_kind="http_503",
            )
        if self.mode == "cut":
            return CallResult(
                ok=False,
                provider="inner",
                model=request.model,
                start_ns=start,
                end_ns=perf_counter_ns(),
                first_token_ns=start,
                text="partial",
                error_kind="stream_cut",
                completion_tokens=3,
            )
        tools = []
        if request.tools:
            tools = [ToolCall("call_1", request.tools[0]["function"]["name"], '{"q":1}')]
        return CallResult(
            ok=True,
            provider="inner",
            model=f"{request.model}-2024-08-06",
            start_ns=start,
            end_ns=perf_counter_ns(),
            first_token_ns=start,
            token_ns=[start],
            text=f"answer #{self.calls} to {last}",
            tool_calls=tools,
            finish_reason="stop",
            status=200,
            prompt_tokens=20,
            completion_tokens=10,
            usage_reported=True,
        )


def make_request(text: str = "What is the capital of France?", **kw: Any) -> ChatRequest:
    system = kw.pop("system", "You are helpful.")
    messages = [{"role": "system", "content": system}, {"role": "user", "content": text}]
    kw.setdefault("model", "gpt-4o-mini")
    kw.setdefault("agent", "helper")
    return ChatRequest(messages=messages, **kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def inner() -> CountingCaller:
    return CountingCaller()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (a free port, a temp dir), for the whole session."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with local_redis() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_config(
    backend_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[..., CacheConfig]:
    """Builds a CacheConfig on the parametrized backend (a fresh namespace / file per test)."""
    url = request.getfixturevalue("redis_url") if backend_name == "redis" else None
    namespace = f"t{uuid.uuid4().hex[:12]}"

    def build(**fields: Any) -> CacheConfig:
        base: dict[str, Any] = {"strategy": "always", "backend": backend_name}
        if backend_name == "sqlite":
            base["path"] = str(tmp_path / "cache.sqlite")
        if backend_name == "redis":
            base["url"] = url
        base["namespace"] = namespace
        base.update(fields)
        return CacheConfig.model_validate(base)

    return build
