"""Counters of one cache layer, turned into ``summary.json["variants"][v]["cache"]``."""

from __future__ import annotations

from array import array
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from raafperf.cache.entry import CacheEntry
from raafperf.cache.semantic.matcher import NearMiss

PriceFn = Callable[[str, int, int], float | None]
"""(model, prompt tokens, completion tokens) -> dollars, or None when unpriced."""


def _describe_ms(values_ns: array) -> dict[str, Any]:
    from raafperf.analysis.stats import describe

    return describe([v / 1e6 for v in values_ns])


class CacheStats:
    def __init__(self, price_fn: PriceFn | None = None, near_miss_examples: int = 20) -> None:
        self.price_fn = price_fn
        self.requests = 0
        self.exact_hits = 0
        self.semantic_hits = 0
        self.misses = 0
        self.skips: Counter[str] = Counter()
        self.stores = 0
        self.not_stored: Counter[str] = Counter()
        self.backend_errors = 0
        self.embed_errors = 0
        self.invalidated = 0
        self.ttl_rules: Counter[str] = Counter()
        self.saved_prompt = 0
        self.saved_completion = 0
        self.saved_usd = 0.0
        self.unpriced_hits = 0
        self.near_misses: Counter[str] = Counter()
        self.near_miss_examples: deque[NearMiss] = deque(maxlen=near_miss_examples)
        self.hit_ns = array("q")
        self.miss_ns = array("q")
        self.miss_lookup_ns = array("q")
        self.store_ns = array("q")
        self.embed_ns = array("q")

    @property
    def hits(self) -> int:
        return self.exact_hits + self.semantic_hits

    def hit(self, entry: CacheEntry, elapsed_ns: int, *, semantic: bool) -> None:
        self.requests += 1
        if semantic:
            self.semantic_hits += 1
        else:
            self.exact_hits += 1
        self.hit_ns.append(elapsed_ns)
        prompt, completion = entry.prompt_tokens or 0, entry.completion_tokens or 0
        self.saved_prompt += prompt
        self.saved_completion += completion
        if self.price_fn is not None:
            usd = self.price_fn(entry.model, prompt, completion)
            if usd is None:
                self.unpriced_hits += 1
            else:
                self.saved_usd += usd

    def miss(self, total_ns: int, lookup_ns: int) -> None:
        self.requests += 1
        self.misses += 1
        self.miss_ns.append(total_ns)
        self.miss_lookup_ns.append(lookup_ns)

    def skip(self, reason: str) -> None:
        self.requests += 1
        self.skips[reason] += 1

    def near_miss(self, near: NearMiss) -> None:
        self.near_misses[near.reason] += 1
        self.near_miss_examples.append(near)

    def as_dict(self) -> dict[str, Any]:
        lookups = self.hits + self.misses
        total_saved = self.saved_prompt + self.saved_completion
        return {
            "requests": self.requests,
            "lookups": lookups,
            "hits": self.hits,
            "exact_hits": self.exact_hits,
            "semantic_hits": self.semantic_hits,
            "misses": self.misses,
            "skipped": sum(self.skips.values()),
            "skips": dict(self.skips),
            "hit_rate": self.hits / lookups if lookups else None,
            "hit_rate_all_requests": self.hits / self.requests if self.requests else None,
            "stores": self.stores,
            "not_stored": dict(self.not_stored),
            "backend_errors": self.backend_errors,
            "embed_errors": self.embed_errors,
            "invalidated": self.invalidated,
            "ttl_rules": dict(self.ttl_rules),
            "latency_ms": {
                "hit": _describe_ms(self.hit_ns),
                "miss": _describe_ms(self.miss_ns),
                "lookup_on_miss": _describe_ms(self.miss_lookup_ns),
                "store": _describe_ms(self.store_ns),
                "embed": _describe_ms(self.embed_ns),
            },
            "saved": {
                "calls": self.hits,
                "prompt_tokens": self.saved_prompt,
                "completion_tokens": self.saved_completion,
                "total_tokens": total_saved,
                "usd": self.saved_usd if self.price_fn is not None else None,
                "unpriced_hits": self.unpriced_hits if self.price_fn is not None else None,
            },
            "near_misses": {
                "total": sum(self.near_misses.values()),
                "by_reason": dict(self.near_misses),
                "examples": [n.as_dict() for n in self.near_miss_examples],
            },
        }
