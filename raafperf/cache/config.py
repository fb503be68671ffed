"""The ``cache:`` section of a scenario.

Every field has a default, so ``cache: {strategy: smart}`` is a complete section. The smart
rules' defaults follow the performance guide; regular expressions are case-insensitive and
are checked when the scenario loads.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from raafperf.scenario.base import StrictModel

# Narrower than the guide's /\b(my|I|me|mine|myself)\b/: "How do I …" and "tell me …" are how
# people phrase general questions, not personal information.
DEFAULT_PERSONAL_PATTERNS: list[str] = [
    r"\b(my|mine|myself|our|ours)\b",
    r"\b(e-?mail|phone|address|password|birthday|salary)\b",
    r"[\w.+-]+@[\w-]+\.[\w.]+",
    r"\+\d[\d ()-]{7,}\d|\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\(\d{3}\) ?\d{3}[-. ]\d{4}",
]
DEFAULT_TIME_PATTERNS: list[str] = [
    r"\b(today|tonight|now|currently|current|latest|recent|recently|up to date)\b",
    r"\b(yesterday|tomorrow|this (morning|afternoon|evening|week|month|year|weekend))\b",
    r"\b(last|next) (week|month|year|weekend|monday|tuesday|wednesday|thursday|friday)\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(st|nd|rd|th)?\b",
    r"\bwhat time is it\b",
]
DEFAULT_CURRENT_TOOL_WORDS: list[str] = ["current", "live", "realtime", "latest", "now"]


def _check_regex(where: str, pattern: str) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(
            f"{where}: {pattern!r} is not a valid regular expression ({exc})"
        ) from None


class Normalizer(StrictModel):
    """One rewrite applied to user messages before they enter the key (smart strategy)."""

    pattern: str
    replace: str = ""


DEFAULT_NORMALIZERS: list[Normalizer] = [
    Normalizer(pattern=r"\b\d{4}-\d{2}-\d{2}\b", replace="[date]"),
    Normalizer(pattern=r"\b\d{1,2}:\d{2}(:\d{2})?\b", replace="[time]"),
    Normalizer(pattern=r"\b(my|i|me|mine|myself)\b", replace="[user]"),
    Normalizer(pattern=r"[?!.\s]+$", replace=""),
]


class TtlRule(StrictModel):
    """The first rule whose patterns match the query (or whose context values all match)
    sets the entry's time to live."""

    name: str = Field(min_length=1)
    ttl_s: float = Field(gt=0)
    patterns: list[str] = Field(default_factory=list)
    context: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _matches_something(self) -> TtlRule:
        if not self.patterns and not self.context:
            raise ValueError(f"ttl rule {self.name!r} needs 'patterns' or 'context'")
        return self


DEFAULT_TTL_RULES: list[TtlRule] = [
    TtlRule(
        name="current",
        ttl_s=300,
        patterns=[
            r"\b(current|latest|now|today)\b",
            r"\bwhat\b.*\btime\b",
            r"\bweather\b",
            r"\bstock price\b",
        ],
    ),
    TtlRule(name="support", ttl_s=3600, context={"conversation_type": "support"}),
    TtlRule(
        name="factual",
        ttl_s=86400,
        patterns=[
            r"\bwhat (is|are)\b",
            r"\bdefine\b",
            r"\bexplain\b",
            r"\bhow to\b",
            r"\bwho (is|was)\b",
            r"\bwhen (was|did)\b",
        ],
    ),
]


class SmartRules(StrictModel):
    """What the smart strategy skips, how it normalizes and which TTL it picks."""

    personal_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_PERSONAL_PATTERNS))
    time_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_TIME_PATTERNS))
    personalized_context_keys: list[str] = Field(default_factory=lambda: ["personalized"])
    """A request whose context has a truthy value under one of these keys is skipped."""
    current_tool_words: list[str] = Field(default_factory=lambda: list(DEFAULT_CURRENT_TOOL_WORDS))
    """An agent offering a tool whose name contains one of these words is never cached."""
    normalize: bool = True
    normalizers: list[Normalizer] = Field(default_factory=lambda: list(DEFAULT_NORMALIZERS))
    ttl_rules: list[TtlRule] = Field(default_factory=lambda: list(DEFAULT_TTL_RULES))

    @model_validator(mode="after")
    def _patterns_compile(self) -> SmartRules:
        groups = {
            "personal_patterns": self.personal_patterns,
            "time_patterns": self.time_patterns,
            "normalizers": [n.pattern for n in self.normalizers],
        }
        for rule in self.ttl_rules:
            groups[f"ttl_rules[{rule.name}].patterns"] = rule.patterns
        for where, patterns in groups.items():
            for pattern in patterns:
                _check_regex(where, pattern)
        return self


class ContextKeys(StrictModel):
    """Context dimensions that enter the key: values come from the request's context; the
    ``time_dimension`` is a bucket of the wall clock."""

    dimensions: list[str] = Field(default_factory=list)
    time_dimension: str = "time"
    time_bucket_s: float = Field(default=3600, gt=0)

    @field_validator("dimensions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("context dimensions must be unique")
        return value


GuardName = Literal["numbers", "entities", "entity_order", "negation", "actions", "substitution"]
ALL_GUARDS: list[GuardName] = [
    "numbers",
    "entities",
    "entity_order",
    "negation",
    "actions",
    "substitution",
]


class SemanticConfig(StrictModel):
    """Serve a cached answer for a close-enough earlier query of the same agent, model,
    parameters and earlier messages, when every guard agrees."""

    enabled: bool = False
    embedder: Literal["builtin", "minilm", "endpoint"] = "builtin"
    threshold: float | None = Field(default=None, gt=0, le=1)
    """Cosine similarity needed; default depends on the embedder."""
    margin: float = Field(default=0.02, ge=0, le=1)
    """The best candidate must beat a different-looking runner-up by this much."""
    guards: list[GuardName] = Field(default_factory=lambda: list(ALL_GUARDS))
    provider: str | None = None
    """endpoint embedder: the scenario provider whose /v1/embeddings is used."""
    model: str = "text-embedding-3-small"
    """endpoint embedder: the embedding model to ask for."""
    dimensions: int | None = Field(default=None, ge=1)
    max_candidates: int = Field(default=2000, ge=1)
    """The most recent entries per scope compared with a query."""
    near_miss_examples: int = Field(default=20, ge=0)

    @model_validator(mode="after")
    def _endpoint_needs_provider(self) -> SemanticConfig:
        if self.enabled and self.embedder == "endpoint" and not self.provider:
            raise ValueError("the endpoint embedder needs 'provider' (a scenario provider name)")
        return self


class CacheConfig(StrictModel):
    strategy: Literal["never", "always", "smart"] = "never"
    backend: Literal["memory", "sqlite", "redis"] = "memory"
    ttl_s: float = Field(default=14400, gt=0)
    """Time to live of an entry (always), and the smart strategy's default."""
    max_bytes: int | None = Field(default=64 * 1024 * 1024, ge=1024)
    """memory and sqlite: least recently used entries are evicted past this size."""
    path: str = ".raafperf/cache.sqlite"
    """sqlite: the database file."""
    url: str = "redis://127.0.0.1:6379/0"
    """redis: the server (a password in the URL is never printed)."""
    namespace: str = Field(default="raafperf", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    """Prefix of every key, so several scenarios can share one database or server."""
    model_aliases: dict[str, str] = Field(default_factory=dict)
    """Model names that mean the same model, e.g. {gpt-4o-latest: gpt-4o}."""
    smart: SmartRules = SmartRules()
    context: ContextKeys = ContextKeys()
    semantic: SemanticConfig = SemanticConfig()

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError("url must start with redis://, rediss:// or unix://")
        return value
