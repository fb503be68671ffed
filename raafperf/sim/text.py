"""Deterministic answer text, one word per token, and prompt token counts.

Prompt tokens are counted with the o200k_base encoding (``bpe-openai``, exact and offline)
for both APIs; for Anthropic models that is an estimate of Claude's own tokenizer.
Answer words are chosen so that each " word" is a single o200k token: one chunk, one token.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from typing import Any

from raafperf.sim.sampling import derive_seed

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "one",
    "all",
    "we",
    "their",
    "has",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "time",
    "can",
    "only",
    "new",
    "some",
    "could",
    "these",
    "two",
    "may",
    "first",
    "then",
    "do",
    "any",
    "like",
    "my",
    "now",
    "over",
    "such",
    "our",
    "man",
    "me",
    "even",
    "most",
    "made",
    "after",
    "also",
    "did",
    "many",
    "before",
    "must",
    "through",
    "back",
    "years",
    "where",
    "much",
    "your",
    "way",
    "well",
    "down",
    "should",
    "because",
    "each",
    "just",
    "those",
    "people",
    "how",
    "too",
    "little",
    "state",
    "good",
    "very",
    "make",
    "world",
    "still",
    "own",
    "see",
    "men",
    "work",
    "long",
    "get",
    "here",
    "between",
    "both",
    "life",
    "being",
    "under",
    "never",
    "day",
    "same",
    "another",
    "know",
    "while",
    "last",
    "us",
    "great",
    "old",
    "year",
    "off",
    "come",
    "since",
    "against",
    "go",
    "right",
    "used",
    "take",
    "three",
    "states",
    "few",
    "house",
    "use",
    "during",
    "without",
    "again",
    "place",
    "around",
    "however",
    "home",
    "small",
    "found",
    "thought",
    "went",
    "say",
    "part",
    "once",
    "general",
    "high",
    "upon",
    "school",
    "every",
    "does",
    "got",
    "united",
    "left",
    "number",
    "course",
    "war",
    "until",
    "always",
    "away",
    "something",
    "fact",
    "though",
    "water",
    "less",
    "public",
    "put",
    "think",
    "almost",
    "hand",
    "enough",
    "far",
    "head",
    "yet",
    "government",
    "system",
    "better",
    "set",
    "nothing",
    "night",
    "end",
    "why",
    "called",
    "find",
    "going",
    "look",
    "asked",
    "later",
    "point",
    "next",
    "city",
    "give",
    "group",
    "business",
    "young",
    "present",
    "social",
    "several",
    "order",
    "second",
    "possible",
    "rather",
    "light",
    "among",
    "side",
    "case",
    "need",
    "thing",
    "best",
    "service",
    "data",
    "model",
    "agent",
    "cache",
    "token",
    "stream",
    "answer",
    "fast",
]

_SEQUENCE_LEN = 8192


@lru_cache(maxsize=8)
def _sequence(seed: int) -> tuple[int, ...]:
    rng = random.Random(derive_seed(seed, "words"))
    return tuple(rng.randrange(len(WORDS)) for _ in range(_SEQUENCE_LEN))


# Each token as it appears in output, and pre-encoded as a JSON string for fast SSE framing.
_TOKENS = [" " + w for w in WORDS]
_FIRST = [w.capitalize() for w in WORDS]
_TOKENS_JSON = [json.dumps(t).encode() for t in _TOKENS]
_FIRST_JSON = [json.dumps(t).encode() for t in _FIRST]


def content_key(*parts: Any) -> int:
    """A stable key of a request's content (messages, tools, model)."""
    return derive_seed(json.dumps(parts, sort_keys=True, default=str))


def answer_token_ids(seed: int, key: int, n: int) -> list[int]:
    """Indices of the n answer words for this request content."""
    seq = _sequence(seed)
    start = key % _SEQUENCE_LEN
    return [seq[(start + i) % _SEQUENCE_LEN] for i in range(n)]


def token_text(ids: list[int]) -> list[str]:
    return [(_FIRST if i == 0 else _TOKENS)[w] for i, w in enumerate(ids)]


def token_json(ids: list[int]) -> list[bytes]:
    """Each token pre-encoded as a JSON string literal."""
    return [(_FIRST_JSON if i == 0 else _TOKENS_JSON)[w] for i, w in enumerate(ids)]


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import warnings

    # bpe-openai loads its files through a deprecated importlib API at import time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai  # lazy: ~0.4 s import

        encoding = bpe_openai.get_encoding("o200k_base")
        encoding.encode_ordinary("load the ranks now")
    return encoding


@lru_cache(maxsize=4096)
def count_tokens(text: str) -> int:
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))


def warm_up() -> None:
    """Load the encoding now rather than on the first request."""
    count_tokens("warm up")


def text_of(content: Any) -> str:
    """The text in a message's content: a string, or a list of parts of either API."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict):
                for key in ("text", "content", "input", "arguments"):
                    if key in part:
                        value = part[key]
                        out.append(
                            value
                            if isinstance(value, str)
                            else text_of(value)
                            if isinstance(value, list)
                            else json.dumps(value)
                        )
            elif isinstance(part, str):
                out.append(part)
        return "\n".join(out)
    return json.dumps(content)
