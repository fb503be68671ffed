"""What to cache, under which key, for how long: the strategies, as pure logic.

``always`` caches every request under its exact key with the default TTL. ``smart`` follows
the performance guide: it skips personal and time-sensitive queries, personalized contexts and
agents with current-data tools; it normalizes user messages for the key; it picks a TTL by
rules. Context dimensions (user, location, a time bucket, ...) enter the key in both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from raafperf.agents.config import AgentConfig
from raafperf.cache.config import CacheConfig
from raafperf.cache.keys import message_text, name_words
from raafperf.client.types import ChatRequest

_FALSY = frozenset({"", "0", "false", "no", "off", "none"})

SKIP_PERSONAL = "personal"
SKIP_TIME = "time_sensitive"
SKIP_PERSONALIZED = "personalized_context"
SKIP_CURRENT_TOOL = "current_data_tool"


def _any(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def user_text(request: ChatRequest) -> str:
    return "\n".join(message_text(m) for m in request.messages if m.get("role") == "user")


class CachePolicy:
    """The decisions of one strategy, compiled once per run."""

    def __init__(
        self,
        config: CacheConfig,
        agents: Sequence[AgentConfig] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.smart = config.strategy == "smart"
        self._clock = clock
        rules = config.smart
        self._personal = _any(rules.personal_patterns)
        self._time = _any(rules.time_patterns)
        self._personalized_keys = tuple(rules.personalized_context_keys)
        self._current_words = {w.lower() for w in rules.current_tool_words}
        self._normalizers = [
            (re.compile(n.pattern, re.IGNORECASE), n.replace) for n in rules.normalizers
        ]
        self._ttl_rules = [
            (rule.name, rule.ttl_s, _any(rule.patterns), dict(rule.context))
            for rule in rules.ttl_rules
        ]
        self._agent_current = {
            agent.name: any(self._current_tool(t.name) for t in agent.tools) for agent in agents
        }
        self._tool_names_seen: dict[tuple[str, ...], bool] = {}
        self._dims = tuple(config.context.dimensions)
        self._time_dim = config.context.time_dimension
        self._bucket_s = config.context.time_bucket_s

    # ---- skipping -------------------------------------------------------------------------

    def skip_reason(self, request: ChatRequest) -> str | None:
        """Why the smart strategy leaves this request alone, or None to cache it."""
        if not self.smart:
            return None
        if self._agent_current.get(request.agent) or self._offers_current_tool(request):
            return SKIP_CURRENT_TOOL
        context = request.context
        if context and any(
            str(context.get(k, "")).strip().lower() not in _FALSY for k in self._personalized_keys
        ):
            return SKIP_PERSONALIZED
        text = user_text(request)
        if self._personal is not None and self._personal.search(text):
            return SKIP_PERSONAL
        if self._time is not None and self._time.search(text):
            return SKIP_TIME
        return None

    def _current_tool(self, name: str) -> bool:
        words = name_words(name)
        if words & self._current_words:
            return True
        joined = "".join(sorted(words))
        squashed = re.sub(r"[^a-z0-9]", "", name.lower())
        # Long words also count inside compound names (getrealtimequote); short ones such
        # as "now" only as whole words, or "know" would match.
        return any(
            len(word) >= 5 and (word in squashed or word in joined) for word in self._current_words
        )

    def _offers_current_tool(self, request: ChatRequest) -> bool:
        if not request.tools:
            return False
        names = tuple(
            str((tool.get("function") or {}).get("name") or tool.get("name") or "")
            for tool in request.tools
        )
        known = self._tool_names_seen.get(names)
        if known is None:
            known = any(self._current_tool(n) for n in names if n)
            self._tool_names_seen[names] = known
        return known

    # ---- keys -----------------------------------------------------------------------------

    @property
    def normalizer(self) -> Callable[[str], str] | None:
        if not (self.smart and self.config.smart.normalize):
            return None
        return self.normalize

    def normalize(self, text: str) -> str:
        """Case, whitespace, dates, times and user-specific words, as the smart key sees them."""
        out = " ".join(text.split()).lower()
        for pattern, replace in self._normalizers:
            out = pattern.sub(replace, out)
        return out.strip()

    def context_values(self, request: ChatRequest) -> dict[str, str] | None:
        """The context dimensions of this request, or None when none are configured."""
        if not self._dims:
            return None
        values: dict[str, str] = {}
        for dim in self._dims:
            if dim == self._time_dim:
                values[dim] = self.time_bucket()
            else:
                values[dim] = str(request.context.get(dim, ""))
        return values

    def time_bucket(self) -> str:
        start = int(self._clock() // self._bucket_s * self._bucket_s)
        return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # ---- time to live ---------------------------------------------------------------------

    def ttl(self, request: ChatRequest) -> tuple[str, float]:
        """The TTL rule that applies and its seconds; ``default`` when none does."""
        if not self.smart:
            return "default", self.config.ttl_s
        text = user_text(request)
        context: Mapping[str, str] = request.context
        for name, ttl_s, pattern, wanted in self._ttl_rules:
            if pattern is not None and pattern.search(text):
                return name, ttl_s
            if wanted and all(context.get(k) == v for k, v in wanted.items()):
                return name, ttl_s
        return "default", self.config.ttl_s
