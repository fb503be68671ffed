"""Cache keys: a canonical SHA-256 of everything that changes a model's answer.

Pure functions over a :class:`ChatRequest`. The key covers the agent, the provider-independent
model name, the whole message list (system instructions included), tools and tool choice,
sampling parameters, max tokens and response format, plus any context dimensions. Streaming
is left out: it changes how the answer arrives, not what it says.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from raafperf.client.types import ChatRequest, Message

KEY_VERSION = 1

PROVIDER_PREFIXES = frozenset(
    {
        "openai",
        "anthropic",
        "azure",
        "azure_ai",
        "google",
        "gemini",
        "vertex_ai",
        "vertex",
        "bedrock",
        "groq",
        "mistral",
        "together",
        "together_ai",
        "fireworks",
        "fireworks_ai",
        "ollama",
        "openrouter",
        "deepseek",
        "cohere",
        "xai",
        "perplexity",
        "huggingface",
        "simulated",
        "sim",
    }
)


def canonical_model(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The model name without provider prefixes: ``openai/gpt-4o`` and ``openai:gpt-4o`` are
    ``gpt-4o``. Date-suffixed snapshots stay distinct models; ``aliases`` maps names that
    mean the same model."""
    model = name.strip().lower()
    if "/" in model:
        model = model.rsplit("/", 1)[1]
    # A colon also ends fine-tune ids (ft:gpt-4o:org:id), so only known providers are cut.
    head, sep, tail = model.partition(":")
    if sep and head in PROVIDER_PREFIXES and tail:
        model = tail
    if aliases:
        model = aliases.get(model, model).strip().lower()
    return model


def message_text(message: Message) -> str:
    """The text of a message whose content is a string or a list of text parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def last_user_text(request: ChatRequest) -> str | None:
    """The query a semantic cache compares: the last message, when it is the user's text."""
    if not request.messages:
        return None
    last = request.messages[-1]
    if last.get("role") != "user":
        return None
    text = message_text(last).strip()
    return text or None


def _float(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _normalized_messages(
    messages: Sequence[Message], normalize: Callable[[str], str]
) -> list[Message]:
    out: list[Message] = []
    for message in messages:
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                message = {**message, "content": normalize(content)}
            elif isinstance(content, list):
                parts = [
                    {**p, "text": normalize(p["text"])}
                    if isinstance(p, dict) and isinstance(p.get("text"), str)
                    else p
                    for p in content
                ]
                message = {**message, "content": parts}
        out.append(message)
    return out


def key_material(
    request: ChatRequest,
    *,
    aliases: Mapping[str, str] | None = None,
    normalize: Callable[[str], str] | None = None,
    context: Mapping[str, str] | None = None,
    drop_last_user: bool = False,
) -> dict[str, Any]:
    """The canonical dict the key hashes. ``drop_last_user`` gives a semantic scope: the same
    conversation up to the query."""
    messages: Sequence[Message] = request.messages
    if drop_last_user:
        messages = messages[:-1]
    if normalize is not None:
        messages = _normalized_messages(messages, normalize)
    material: dict[str, Any] = {
        "v": KEY_VERSION,
        "agent": request.agent,
        "model": canonical_model(request.model, aliases),
        "messages": messages,
        "tools": request.tools,
        "tool_choice": request.tool_choice,
        "temperature": _float(request.temperature),
        "top_p": _float(request.top_p),
        "seed": request.seed,
        "max_tokens": request.max_tokens,
        "response_format": request.response_format,
    }
    if context:
        material["context"] = dict(context)
    if drop_last_user:
        material["scope"] = "semantic"
    return material


def digest(material: Any) -> str:
    text = json.dumps(
        material, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def request_key(
    request: ChatRequest,
    *,
    aliases: Mapping[str, str] | None = None,
    normalize: Callable[[str], str] | None = None,
    context: Mapping[str, str] | None = None,
) -> str:
    """The exact-match key of a request (64 hex characters)."""
    return digest(key_material(request, aliases=aliases, normalize=normalize, context=context))


def semantic_scope(
    request: ChatRequest,
    embedder_id: str,
    *,
    aliases: Mapping[str, str] | None = None,
    context: Mapping[str, str] | None = None,
) -> str:
    """Which earlier queries a query may be compared with: same agent, model, parameters,
    earlier messages, context and embedder."""
    material = key_material(request, aliases=aliases, context=context, drop_last_user=True)
    material["embedder"] = embedder_id
    return digest(material)


def name_words(name: str) -> set[str]:
    """Words of an identifier: ``getCurrentWeather`` and ``get_current_weather`` give
    {get, current, weather}."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w}
