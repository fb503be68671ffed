"""The Anthropic surface: Messages (plain, streamed, tool use) and the models list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from raafperf.sim import text, tools
from raafperf.sim.answer import Answer, Stream, SurfaceContext, json_bytes
from raafperf.sim.ratelimit import Verdict

_ERRORS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "x-api-key header is required"),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization. Please try again later.",
    ),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}


def error(
    status: int,
    message: str | None = None,
    *,
    request_id: str = "",
    headers: list[tuple[str, str]] | None = None,
) -> Answer:
    """An error in Anthropic's shape: {"type": "error", "error": {"type", "message"}}."""
    kind, default = _ERRORS.get(status, ("api_error", "Error"))
    body = {
        "type": "error",
        "error": {"type": kind, "message": message or default},
        "request_id": request_id or None,
    }
    return Answer(
        status,
        [("content-type", "application/json"), *(headers or [])],
        json_bytes(body),
        error_type=kind,
    )


def unauthorized(request_id: str) -> Answer:
    return error(401, request_id=request_id)


def request_headers(request_id: str) -> list[tuple[str, str]]:
    return [("request-id", request_id)]


def limit_headers(verdict: Verdict) -> list[tuple[str, str]]:
    now = dt.datetime.now(dt.UTC)
    out: list[tuple[str, str]] = []
    for name, state in (("requests", verdict.requests), ("tokens", verdict.tokens)):
        if state is not None:
            reset = (now + dt.timedelta(seconds=state.reset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out += [
                (f"anthropic-ratelimit-{name}-limit", str(state.limit)),
                (f"anthropic-ratelimit-{name}-remaining", str(state.remaining)),
                (f"anthropic-ratelimit-{name}-reset", reset),
            ]
    return out


def _prompt_tokens(body: dict[str, Any]) -> int:
    total = text.count_tokens(text.text_of(body.get("system")))
    for msg in body.get("messages") or []:
        if isinstance(msg, dict):
            total += 3 + text.count_tokens(text.text_of(msg.get("content")))
    if body.get("tools"):
        total += text.count_tokens(str(body["tools"]))
    return max(1, total)


def _event(name: str, data: bytes) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (name.encode(), data)


def messages(
    ctx: SurfaceContext, body: dict[str, Any], headers: dict[str, str], request_id: str
) -> Answer:
    model, msgs, limit = body.get("model"), body.get("messages"), body.get("max_tokens")
    if not isinstance(model, str):
        return error(400, "model: Field required", request_id=request_id)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        return error(400, "max_tokens: Field required", request_id=request_id)
    if not isinstance(msgs, list) or not msgs:
        return error(400, "messages: at least one message is required", request_id=request_id)
    if not ctx.knows(model):
        return error(404, f"model: {model}", request_id=request_id)
    stream = bool(body.get("stream"))
    prompt_tokens = _prompt_tokens(body)
    offered = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    offered = [n for n in offered if isinstance(n, str)]
    choice = body.get("tool_choice") or {}
    tool = None
    rounds_done = tools.anthropic_rounds_done(msgs)
    if offered and not (isinstance(choice, dict) and choice.get("type") == "none"):
        forced = choice.get("name") if isinstance(choice, dict) else None
        tool = tools.choose_tool(headers, offered, ctx.config.tool_rounds, rounds_done, forced)
    msg_id = ctx.new_id("msg_01")
    key = text.content_key(model, body.get("system"), msgs, body.get("tools"))
    if tool is not None:
        schema = next(
            (
                t.get("input_schema")
                for t in body["tools"]
                if isinstance(t, dict) and t.get("name") == tool
            ),
            {},
        )
        args = tools.arguments_for(schema, ctx.seed, tool, rounds_done)
        pieces = tools.json_pieces(args)
        tool_id = ctx.new_id("toolu_01")[:32]
        n, stop = len(pieces), "tool_use"
    else:
        n, stop = ctx.latency.tokens(), "end_turn"
        if limit < n:
            n, stop = limit, "max_tokens"
    usage = {
        "input_tokens": prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": n,
        "service_tier": "standard",
    }
    hdrs = [("content-type", "text/event-stream; charset=utf-8" if stream else "application/json")]
    answer = Answer(
        200,
        hdrs,
        prompt_tokens=prompt_tokens,
        output_tokens=n,
        model=model,
        finish_reason=stop,
        rate_tokens=prompt_tokens + limit,
    )
    if not stream:
        if tool is not None:
            block: dict[str, Any] = {"type": "tool_use", "id": tool_id, "name": tool, "input": args}
        else:
            words = text.token_text(text.answer_token_ids(ctx.seed, key, n))
            block = {"type": "text", "text": "".join(words)}
        answer.body = json_bytes(
            {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [block],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            }
        )
        answer.timed_tokens = n
        return answer
    start_usage = {**usage, "output_tokens": 1}
    prelude = _event(
        "message_start",
        json_bytes(
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            }
        ),
    )
    if tool is not None:
        block_start = {"type": "tool_use", "id": tool_id, "name": tool, "input": {}}
        events = [
            _event(
                "content_block_delta",
                b'{"type":"content_block_delta","index":0,"delta":'
                b'{"type":"input_json_delta","partial_json":%s}}' % json_bytes(p),
            )
            for p in pieces
        ]
    else:
        block_start = {"type": "text", "text": ""}
        events = [
            _event(
                "content_block_delta",
                b'{"type":"content_block_delta","index":0,"delta":'
                b'{"type":"text_delta","text":%s}}' % t,
            )
            for t in text.token_json(text.answer_token_ids(ctx.seed, key, n))
        ]
    prelude += _event(
        "content_block_start",
        json_bytes({"type": "content_block_start", "index": 0, "content_block": block_start}),
    )
    prelude += _event("ping", b'{"type": "ping"}')
    final = _event("content_block_stop", b'{"type":"content_block_stop","index":0}')
    final += _event(
        "message_delta",
        json_bytes(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": n},
            }
        ),
    )
    final += _event("message_stop", b'{"type":"message_stop"}')
    malformed = _event("content_block_delta", b'{"type":"content_block_delta","index":0,"de')
    answer.stream = Stream(prelude, events, final, malformed)
    return answer


def models(ctx: SurfaceContext) -> Answer:
    data = [
        {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
        for m in ctx.listed_models()
    ]
    body = {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
    return Answer(200, [("content-type", "application/json")], json_bytes(body))
