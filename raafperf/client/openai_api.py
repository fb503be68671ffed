"""The OpenAI chat-completions API: request body, and answers (streamed or not) parsed.

Also what OpenAI-compatible servers speak (vLLM, llama.cpp, OpenRouter, the simulator).
"""

from __future__ import annotations

from json import dumps, loads
from typing import Any

from raafperf.client import error_kinds as ek
from raafperf.client.answer import StreamState, error_from_event, loads_event
from raafperf.client.types import CallResult, ChatRequest, ToolCall

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"
MODELS_PATH = "/v1/models"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def auth_headers(api_key: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {api_key}")]


def build_body(request: ChatRequest) -> bytes:
    body: dict[str, Any] = {"model": request.model, "messages": request.messages}
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = request.tools
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.seed is not None:
        body["seed"] = request.seed
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.response_format is not None:
        body["response_format"] = request.response_format
    return dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class OpenAIStream(StreamState):
    """Reads ``chat.completion.chunk`` events; ``[DONE]`` ends the stream."""

    __slots__ = ()

    def feed(self, chunk: bytes, now: int) -> None:
        for _event, data in self.sse.feed(chunk):
            if data == b"[DONE]":
                self.done = True
                continue
            try:
                obj = loads_event(data)
                choices = obj.get("choices")
            except (ValueError, AttributeError):
                self.fail(ek.MALFORMED, data)
                return
            content = False
            if choices:
                choice = choices[0]
                delta = choice.get("delta")
                if delta:
                    text = delta.get("content")
                    if text:
                        self.text_parts.append(text)
                        content = True
                    calls = delta.get("tool_calls")
                    if calls:
                        content = self._tool_deltas(calls) or content
                    if not content and (delta.get("reasoning_content") or delta.get("reasoning")):
                        content = True  # reasoning tokens are output tokens too
                reason = choice.get("finish_reason")
                if reason:
                    self.finish_reason = reason
            if content:
                if self.first_token_ns is None:
                    self.first_token_ns = now
                self.token_ns.append(now)
            usage = obj.get("usage")
            if usage:
                self.usage = usage
            elif not choices and "error" in obj:
                kind, detail = error_from_event(obj)
                self.fail(kind, detail)
                return

    def _tool_deltas(self, calls: list[dict[str, Any]]) -> bool:
        got_arguments = False
        tools = self.tools
        for call in calls:
            index = call.get("index", 0)
            entry = tools.get(index)
            if entry is None:
                entry = tools[index] = ["", "", []]
            if call.get("id"):
                entry[0] = call["id"]
            function = call.get("function")
            if function:
                if function.get("name"):
                    entry[1] = function["name"]
                args = function.get("arguments")
                if args:
                    entry[2].append(args)
                    got_arguments = True
        return got_arguments

    def finish(self, result: CallResult) -> None:
        super().finish(result)
        apply_usage(self.usage, result)


def apply_usage(usage: dict[str, Any] | None, result: CallResult) -> None:
    if not usage:
        return
    result.prompt_tokens = usage.get("prompt_tokens")
    result.completion_tokens = usage.get("completion_tokens")
    details = usage.get("prompt_tokens_details")
    if details:
        result.cached_tokens = details.get("cached_tokens") or 0
    result.usage_reported = result.completion_tokens is not None


def parse_body(data: bytes, result: CallResult, now: int) -> str | None:
    """Fill ``result`` from a non-streamed answer; returns an error kind or None."""
    try:
        obj = loads(data)
        choice = obj["choices"][0]
        message = choice.get("message") or {}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        result.error_detail = "answer is not a chat completion"
        return ek.MALFORMED
    result.text = message.get("content") or ""
    calls = message.get("tool_calls")
    if calls:
        result.tool_calls = [
            ToolCall(
                c.get("id", ""), c["function"].get("name", ""), c["function"].get("arguments") or ""
            )
            for c in calls
            if c.get("function")
        ]
    result.finish_reason = choice.get("finish_reason")
    if result.text or result.tool_calls:
        result.first_token_ns = now
        result.token_ns = [now]
    apply_usage(obj.get("usage"), result)
    return None
