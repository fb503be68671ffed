"""Values that travel down and up the model-call stack: cache → router → provider client.

Every layer implements :class:`ModelCaller`, so layers stack freely and each one can be
tested alone against the simulator. These types import nothing heavy: they sit on the hot
path of every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, Any]
"""One chat message in the OpenAI shape: role system|user|assistant|tool, content, and
``tool_calls`` / ``tool_call_id`` where they apply. Adapters translate for other APIs."""


@dataclass(slots=True, frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """The arguments as the JSON text the model produced."""


@dataclass(slots=True)
class ChatRequest:
    """One model call as raafperf's own API-neutral value."""

    model: str
    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    """OpenAI function-tool specs:
    {"type": "function", "function": {name, description, parameters}}."""
    tool_choice: Any = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    response_format: dict[str, Any] | None = None
    stream: bool = True
    agent: str = ""
    context: Mapping[str, str] = field(default_factory=dict)
    """Context dimensions (user, location, ...) that a context-aware cache keys on."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra HTTP headers: the request id, the simulator's tool script."""


@dataclass(slots=True)
class CallResult:
    """What one model call produced, after retries, with its timing.

    Times are ``time.perf_counter_ns()`` values. A failed call has ``ok`` False and an
    ``error_kind`` from :mod:`raafperf.client.error_kinds`; it is never raised.
    """

    ok: bool
    provider: str
    model: str
    start_ns: int
    end_ns: int
    first_token_ns: int | None = None
    """When the first content chunk was taken off the connection (see ``token_ns``)."""
    token_ns: list[int] = field(default_factory=list)
    """Arrival time of each content chunk (text or tool-call arguments): stamped as the
    client takes the bytes from the connection's buffer, before anything else is awaited."""
    sent_ns: int | None = None
    """When the request (head and body) of the first attempt was handed to the socket; None
    when no request went out (a cache hit, a failure before sending). From ``start_ns`` to
    here is the client's own time (the call stack's CPU, event-loop queueing) plus
    ``send_wait_ns``."""
    send_wait_ns: int = 0
    """The part of ``sent_ns - start_ns`` spent waiting on what a scenario models, not on the
    client itself: a free connection in the pool, a TCP connect and TLS handshake, the
    router's rate-limit waits before the first attempt."""
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    status: int | None = None
    error_kind: str | None = None
    error_detail: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0
    usage_reported: bool = False
    """True when the token counts came from the provider's ``usage``, not an estimate."""
    attempts: int = 1
    attempt_errors: list[str] = field(default_factory=list)
    """The error kind of each failed attempt before the last, in order."""
    connect_ns: int = 0
    """Time spent opening connections for this call (TCP + TLS), from trace events."""
    new_connection: bool = False
    cache: str = "off"
    """Cache outcome: off | hit | miss | skip:<reason>."""
    fallbacks: int = 0
    """How many providers the router tried before this result's provider."""
    retry_after_s: float | None = None
    """The provider's Retry-After on a 429/503, in seconds, when it sent one."""
    stages_ns: dict[str, int] = field(default_factory=dict)
    """Time per stage of the call (cache_lookup, routing, connection_wait, network, parsing)."""


class ModelCaller(Protocol):
    """One layer of the call stack. Never raises for provider faults."""

    async def call(self, request: ChatRequest) -> CallResult: ...
