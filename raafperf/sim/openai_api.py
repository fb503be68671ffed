"""The OpenAI surface: chat completions (plain, streamed, tool calls), embeddings, models."""

from __future__ import annotations

import base64
import math
import random
import struct
from typing import Any

from raafperf.sim import text, tools
from raafperf.sim.answer import Answer, Stream, SurfaceContext, json_bytes
from raafperf.sim.ratelimit import Verdict

FINGERPRINT = "fp_raafperf_sim"
_ERROR_TEXT = {
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again."),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    529: ("server_error", None, "The server is overloaded, please try again later."),
}


def error(
    status: int,
    message: str | None = None,
    *,
    type_: str | None = None,
    code: str | None = None,
    param: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Answer:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
    default_type, default_code, default_message = _ERROR_TEXT.get(
        status, ("invalid_request_error", None, "Invalid request.")
    )
    body = {
        "error": {
            "message": message or default_message,
            "type": type_ or default_type,
            "param": param,
            "code": code if code is not None else default_code,
        }
    }
    return Answer(
        status,
        [("content-type", "application/json"), *(headers or [])],
        json_bytes(body),
        error_type=type_ or default_type,
    )


def unauthorized() -> Answer:
    return error(
        401,
        "You didn't provide an API key. You need to provide your API key in an "
        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        type_="invalid_request_error",
    )


def request_headers(request_id: str) -> list[tuple[str, str]]:
    return [("x-request-id", request_id), ("openai-processing-ms", "0")]


def limit_headers(verdict: Verdict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, state in (("requests", verdict.requests), ("tokens", verdict.tokens)):
        if state is not None:
            out += [
                (f"x-ratelimit-limit-{name}", str(state.limit)),
                (f"x-ratelimit-remaining-{name}", str(state.remaining)),
                (f"x-ratelimit-reset-{name}", _duration(state.reset_s)),
            ]
    return out


def _duration(seconds: float) -> str:
    """OpenAI's reset format: 1s, 6m0s, 120ms."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}m{secs:.3g}s" if minutes else f"{secs:.3g}s"


def _prompt_tokens(body: dict[str, Any]) -> int:
    total = 3
    for msg in body.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        total += 3 + text.count_tokens(text.text_of(msg.get("content")))
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            total += text.count_tokens(f"{fn.get('name', '')}{fn.get('arguments', '')}")
    if body.get("tools"):
        total += text.count_tokens(str(body["tools"]))
    return total


def chat(ctx: SurfaceContext, body: dict[str, Any], headers: dict[str, str]) -> Answer:
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str):
        return error(400, "you must provide a model parameter", param="model")
    if not isinstance(messages, list) or not messages:
        return error(
            400, "'messages' must be a non-empty array", param="messages", code="invalid_value"
        )
    if not ctx.knows(model):
        return error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    stream = bool(body.get("stream"))
    if not isinstance(body.get("stream_options") or {}, dict):
        return error(400, "'stream_options' must be an object", param="stream_options")
    include_usage = stream and bool((body.get("stream_options") or {}).get("include_usage"))
    prompt_tokens = _prompt_tokens(body)
    offered = [
        t.get("function", {}).get("name") for t in body.get("tools") or [] if isinstance(t, dict)
    ]
    offered = [n for n in offered if isinstance(n, str)]
    tool = None
    choice = body.get("tool_choice")
    if offered and choice != "none":
        forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        tool = tools.choose_tool(
            headers, offered, ctx.config.tool_rounds, tools.openai_rounds_done(messages), forced
        )
    chat_id = ctx.new_id("chatcmpl-")
    created = ctx.now_s()
    key = text.content_key(model, messages, body.get("tools"))
    if tool is not None:
        schema = next(
            (
                t["function"].get("parameters")
                for t in body["tools"]
                if isinstance(t, dict) and t.get("function", {}).get("name") == tool
            ),
            {},
        )
        rounds_done = tools.openai_rounds_done(messages)
        args = tools.arguments_for(schema, ctx.seed, tool, rounds_done)
        pieces = tools.json_pieces(args)
        call_id = "call_" + ctx.new_id("")[:24]
        n, finish = len(pieces), "tool_calls"
    else:
        n = ctx.latency.tokens()
        finish = "stop"
        if isinstance(limit, int) and 0 < limit < n:
            n, finish = limit, "length"
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": n,
        "total_tokens": prompt_tokens + n,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    hdrs = [("content-type", "text/event-stream; charset=utf-8" if stream else "application/json")]
    answer = Answer(
        200,
        hdrs,
        prompt_tokens=prompt_tokens,
        output_tokens=n,
        model=model,
        finish_reason=finish,
        rate_tokens=prompt_tokens + (limit if isinstance(limit, int) else n),
    )
    if not stream:
        if tool is not None:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": tool, "arguments": "".join(pieces)},
                    }
                ],
                "refusal": None,
                "annotations": [],
            }
        else:
            words = text.token_text(text.answer_token_ids(ctx.seed, key, n))
            message = {
                "role": "assistant",
                "content": "".join(words),
                "refusal": None,
                "annotations": [],
            }
        answer.body = json_bytes(
            {
                "id": chat_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": FINGERPRINT,
            }
        )
        answer.timed_tokens = n
        return answer
    head = (
        b'data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":%s,'
        b'"service_tier":"default","system_fingerprint":"%s","choices":['
        % (chat_id.encode(), created, json_bytes(model), FINGERPRINT.encode())
    )
    tail = b',"usage":null}\n\n' if include_usage else b"}\n\n"
    if tool is not None:
        first = json_bytes(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": tool, "arguments": ""},
                    }
                ],
                "refusal": None,
            }
        )
        role = (
            head
            + b'{"index":0,"delta":'
            + first
            + b',"logprobs":null,"finish_reason":null}]'
            + tail
        )
        deltas = [
            b'{"tool_calls":[{"index":0,"function":{"arguments":%s}}]}' % json_bytes(p)
            for p in pieces
        ]
    else:
        role = (
            head + b'{"index":0,"delta":{"role":"assistant","content":"","refusal":null},'
            b'"logprobs":null,"finish_reason":null}]' + tail
        )
        deltas = [
            b'{"content":%s}' % t for t in text.token_json(text.answer_token_ids(ctx.seed, key, n))
        ]
    events = [
        head + b'{"index":0,"delta":' + d + b',"logprobs":null,"finish_reason":null}]' + tail
        for d in deltas
    ]
    events[0] = role + events[0]
    final = head + b'{"index":0,"delta":{},"logprobs":null,"finish_reason":"%s"}]' % finish.encode()
    final += tail
    if include_usage:
        final += head + b'],"usage":' + json_bytes(usage) + b"}\n\n"
    final += b"data: [DONE]\n\n"
    answer.stream = Stream(b"", events, final, head + b'{"index":0,"delta":{"content\n\n')
    return answer


def embeddings(ctx: SurfaceContext, body: dict[str, Any]) -> Answer:
    model, inputs = body.get("model"), body.get("input")
    if not isinstance(model, str):
        return error(400, "you must provide a model parameter", param="model")
    if isinstance(inputs, str) or (
        isinstance(inputs, list) and inputs and all(isinstance(x, int) for x in inputs)
    ):
        inputs = [inputs]  # one text, or one array of token ids
    if (
        not isinstance(inputs, list)
        or not inputs
        or not all(isinstance(x, str | list) for x in inputs)
    ):
        return error(400, "'input' must be a non-empty string or array", param="input")
    if not ctx.knows(model):
        return error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    dim = body.get("dimensions") or ctx.config.embedding_dim
    if not isinstance(dim, int) or dim < 1 or dim > 8192:
        return error(400, "'dimensions' must be a positive integer", param="dimensions")
    as_base64 = body.get("encoding_format") == "base64"
    data, tokens = [], 0
    for i, item in enumerate(inputs):
        item_text = item if isinstance(item, str) else " ".join(map(str, item))
        tokens += text.count_tokens(item_text) if isinstance(item, str) else len(item)
        vector = unit_vector(ctx.seed, item_text, dim)
        value: Any = (
            base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": i, "embedding": value})
    body_out = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return Answer(
        200,
        [("content-type", "application/json")],
        json_bytes(body_out),
        timed_tokens=1,
        prompt_tokens=tokens,
        model=model,
        rate_tokens=tokens,
    )


def unit_vector(seed: int, item: str, dim: int) -> list[float]:
    """A deterministic unit vector for a text (same text, same vector)."""
    rng = random.Random(text.content_key(seed, "embedding", item))
    vec = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def models(ctx: SurfaceContext) -> Answer:
    created = 1_700_000_000
    data = [
        {"id": m, "object": "model", "created": created, "owned_by": "raafperf-sim"}
        for m in ctx.listed_models()
    ]
    return Answer(
        200, [("content-type", "application/json")], json_bytes({"object": "list", "data": data})
    )
