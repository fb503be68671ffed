"""What the cache stores for one answer, and how a hit becomes a :class:`CallResult` again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from raafperf.client.types import CallResult, ToolCall


@dataclass(slots=True)
class CacheEntry:
    text: str
    tool_calls: list[tuple[str, str, str]]
    finish_reason: str | None
    model: str
    status: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cached_tokens: int
    usage_reported: bool
    agent: str
    query: str
    """The last user message, for pattern invalidation and near-miss reports."""
    created_at: float
    expires_at: float
    scope: str = ""
    """The semantic scope this entry was indexed under, "" when none."""
    size: int = field(default=0, compare=False)
    """Bytes of the stored form, filled by :meth:`to_bytes` / :meth:`from_bytes`."""

    @classmethod
    def from_result(
        cls,
        result: CallResult,
        *,
        agent: str,
        query: str,
        created_at: float,
        ttl_s: float,
        scope: str = "",
    ) -> CacheEntry:
        return cls(
            text=result.text,
            tool_calls=[(t.id, t.name, t.arguments) for t in result.tool_calls],
            finish_reason=result.finish_reason,
            model=result.model,
            status=result.status,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cached_tokens=result.cached_tokens,
            usage_reported=result.usage_reported,
            agent=agent,
            query=query,
            created_at=created_at,
            expires_at=created_at + ttl_s,
            scope=scope,
        )

    def to_result(self, *, start_ns: int, end_ns: int, lookup_ns: int) -> CallResult:
        return CallResult(
            ok=True,
            provider="cache",
            model=self.model,
            start_ns=start_ns,
            end_ns=end_ns,
            first_token_ns=end_ns,
            token_ns=[end_ns],
            text=self.text,
            tool_calls=[ToolCall(i, n, a) for i, n, a in self.tool_calls],
            finish_reason=self.finish_reason,
            status=self.status,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=self.cached_tokens,
            usage_reported=self.usage_reported,
            attempts=0,
            cache="hit",
            stages_ns={"cache_lookup": lookup_ns},
        )

    def to_bytes(self) -> bytes:
        data = json.dumps(
            [
                self.text,
                self.tool_calls,
                self.finish_reason,
                self.model,
                self.status,
                self.prompt_tokens,
                self.completion_tokens,
                self.cached_tokens,
                self.usage_reported,
                self.agent,
                self.query,
                self.created_at,
                self.expires_at,
                self.scope,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        self.size = len(data)
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> CacheEntry:
        (
            text,
            tools,
            finish,
            model,
            status,
            prompt,
            completion,
            cached,
            reported,
            agent,
            query,
            created,
            expires,
            scope,
        ) = json.loads(data)
        return cls(
            text=text,
            tool_calls=[tuple(t) for t in tools],
            finish_reason=finish,
            model=model,
            status=status,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            usage_reported=reported,
            agent=agent,
            query=query,
            created_at=created,
            expires_at=expires,
            scope=scope,
            size=len(data),
        )

    @property
    def tokens(self) -> int:
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)
