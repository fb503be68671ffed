"""The Anthropic messages API: an OpenAI-shaped ChatRequest translated, answers parsed.

Translation: system messages go to the top-level ``system``; assistant ``tool_calls``
become ``tool_use`` blocks; ``tool`` messages become ``tool_result`` blocks in a user turn;
consecutive turns of one role are merged (the API wants them alternating); tools take
Anthropic's ``input_schema`` shape; ``max_tokens`` is required, so it gets a default.
Finish reasons are given in OpenAI's words (stop, length, tool_calls) so callers need one
vocabulary.
"""

from __future__ import annotations

from json import dumps, loads
from typing import Any

from raafperf.client import error_kinds as ek
from raafperf.client.answer import StreamState, error_from_event, loads_event
from raafperf.client.types import CallResult, ChatRequest, Message, ToolCall

CHAT_PATH = "/v1/messages"
DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def auth_headers(api_key: str) -> list[tuple[str, str]]:
    return [("x-api-key", api_key), ("anthropic-version", API_VERSION)]


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    """OpenAI message content (a string or parts) as Anthropic content blocks."""
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            if url.startswith("data:") and ";base64," in url:
                media, data = url[5:].split(";base64,", 1)
                source = {"type": "base64", "media_type": media, "data": data}
            else:
                source = {"type": "url", "url": url}
            blocks.append({"type": "image", "source": source})
        elif isinstance(part, dict):
            blocks.append(part)  # already an Anthropic block
    return blocks


def _tool_input(arguments: str) -> Any:
    if not arguments:
        return {}
    try:
        return loads(arguments)
    except ValueError:
        return {"_raw": arguments}


def convert_messages(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system text, Anthropic messages) from OpenAI-shaped messages."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role")
        if role in ("system", "developer"):
            content = msg.get("content")
            if isinstance(content, str):
                system.append(content)
            else:
                system.extend(b["text"] for b in _content_blocks(content) if b.get("text"))
            continue
        if role == "tool":
            content = msg.get("content")
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": msg.get("tool_call_id", ""),
                "content": content if isinstance(content, str) else _content_blocks(content),
            }
            role, blocks = "user", [block]
        elif role == "assistant":
            blocks = _content_blocks(msg.get("content"))
            for call in msg.get("tool_calls") or ():
                function = call.get("function") or {}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id", ""),
                        "name": function.get("name", ""),
                        "input": _tool_input(function.get("arguments") or ""),
                    }
                )
        else:
            role, blocks = "user", _content_blocks(msg.get("content"))
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for msg in out:
        # A lone text block reads better (and is what most clients send) as a string.
        content = msg["content"]
        if len(content) == 1 and content[0].get("type") == "text":
            msg["content"] = content[0]["text"]
    return ("\n\n".join(system) if system else None), out


def convert_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        function = tool.get("function") if tool.get("type") == "function" else None
        if function is None:
            out.append(tool)  # already in Anthropic's shape
            continue
        spec = {
            "name": function.get("name", ""),
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            spec["description"] = function["description"]
        out.append(spec)
    return out


def convert_tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        return {
            "auto": {"type": "auto"},
            "required": {"type": "any"},
            "none": {"type": "none"},
        }.get(choice)
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name", "")}
    return choice if isinstance(choice, dict) else None


def build_body(request: ChatRequest) -> bytes:
    system, messages = convert_messages(request.messages)
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system is not None:
        body["system"] = system
    if request.stream:
        body["stream"] = True
    if request.tools:
        body["tools"] = convert_tools(request.tools)
        choice = convert_tool_choice(request.tool_choice)
        if choice is not None:
            body["tool_choice"] = choice
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    # seed and response_format have no Anthropic counterpart and are left out.
    return dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class AnthropicStream(StreamState):
    """Reads message_start … content_block_* … message_delta, message_stop."""

    __slots__ = ()

    def feed(self, chunk: bytes, now: int) -> None:
        for event, data in self.sse.feed(chunk):
            if event == "ping":
                continue
            try:
                obj = loads_event(data)
                kind = obj.get("type") or event
            except (ValueError, AttributeError):
                self.fail(ek.MALFORMED, data)
                return
            if kind == "content_block_delta":
                delta = obj.get("delta") or {}
                dtype = delta.get("type")
                if dtype == "text_delta":
                    text = delta.get("text")
                    if not text:
                        continue
                    self.text_parts.append(text)
                elif dtype == "input_json_delta":
                    piece = delta.get("partial_json")
                    if not piece:
                        continue
                    entry = self.tools.get(obj.get("index", 0))
                    if entry is not None:
                        entry[2].append(piece)
                elif dtype not in ("thinking_delta",):
                    continue
                if self.first_token_ns is None:
                    self.first_token_ns = now
                self.token_ns.append(now)
            elif kind == "content_block_start":
                block = obj.get("content_block") or {}
                if block.get("type") == "tool_use":
                    given = block.get("input")
                    # index -> [id, name, argument pieces, input given up front]
                    self.tools[obj.get("index", 0)] = [
                        block.get("id", ""),
                        block.get("name", ""),
                        [],
                        given,
                    ]
                elif block.get("type") == "text" and block.get("text"):
                    self.text_parts.append(block["text"])
                    if self.first_token_ns is None:
                        self.first_token_ns = now
                    self.token_ns.append(now)
            elif kind == "message_delta":
                delta = obj.get("delta") or {}
                reason = delta.get("stop_reason")
                if reason:
                    self.finish_reason = STOP_REASONS.get(reason, reason)
                usage = obj.get("usage")
                if usage:
                    merged = {**(self.usage or {}), **usage}
                    if "output_tokens" in usage:
                        merged.pop("_output_from_start", None)
                    self.usage = merged
            elif kind == "message_start":
                usage = (obj.get("message") or {}).get("usage")
                if usage:
                    self.usage = {**usage, "_output_from_start": True}
            elif kind == "message_stop":
                self.done = True
            elif kind == "error":
                self.fail(*error_from_event(obj))
                return

    def finish(self, result: CallResult) -> None:
        for entry in self.tools.values():
            if not entry[2] and entry[3]:
                entry[2].append(dumps(entry[3], separators=(",", ":")))
        super().finish(result)
        apply_usage(self.usage, result, streamed=True)


def apply_usage(usage: dict[str, Any] | None, result: CallResult, streamed: bool = False) -> None:
    if not usage:
        return
    read = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    inputs = usage.get("input_tokens")
    if inputs is not None:
        result.prompt_tokens = inputs + read + written
    result.cached_tokens = read
    result.completion_tokens = usage.get("output_tokens")
    # message_start's output_tokens is a placeholder; only message_delta's is the count.
    result.usage_reported = result.completion_tokens is not None and not (
        streamed and usage.get("_output_from_start")
    )


def parse_body(data: bytes, result: CallResult, now: int) -> str | None:
    """Fill ``result`` from a non-streamed answer; returns an error kind or None."""
    try:
        obj = loads(data)
        blocks = obj["content"]
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in blocks:
            kind = block.get("type")
            if kind == "text":
                texts.append(block.get("text", ""))
            elif kind == "tool_use":
                calls.append(
                    ToolCall(
                        block.get("id", ""),
                        block.get("name", ""),
                        dumps(block.get("input", {}), separators=(",", ":")),
                    )
                )
    except (ValueError, KeyError, TypeError, AttributeError):
        result.error_detail = "answer is not a message"
        return ek.MALFORMED
    result.text = "".join(texts)
    result.tool_calls = calls
    reason = obj.get("stop_reason")
    result.finish_reason = STOP_REASONS.get(reason, reason) if reason else None
    if result.text or calls:
        result.first_token_ns = now
        result.token_ns = [now]
    apply_usage(obj.get("usage"), result)
    return None
