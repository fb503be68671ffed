"""Request bodies built and answers parsed by the two API adapters, on recorded bytes."""

from __future__ import annotations

import json

from raafperf.client import anthropic_api, openai_api
from raafperf.client.types import CallResult, ChatRequest, ToolCall

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": "rain"},
    {"role": "user", "content": "Thanks, summarise."},
]


def result() -> CallResult:
    return CallResult(ok=False, provider="p", model="m", start_ns=0, end_ns=0)


def feed_split(stream, data: bytes, size: int) -> None:
    for i in range(0, len(data), size):
        stream.feed(data[i : i + size], 1000 + i)


# --- OpenAI ---------------------------------------------------------------------------


def test_openai_body_streaming_with_usage_and_options() -> None:
    req = ChatRequest(
        model="gpt-4o-mini",
        messages=CONVERSATION,
        tools=TOOLS,
        tool_choice="auto",
        temperature=0.2,
        seed=7,
        max_tokens=50,
    )
    body = json.loads(openai_api.build_body(req))
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == CONVERSATION
    assert body["tools"] == TOOLS
    assert (body["tool_choice"], body["temperature"], body["seed"], body["max_tokens"]) == (
        "auto",
        0.2,
        7,
        50,
    )
    plain = json.loads(openai_api.build_body(ChatRequest(model="m", messages=[], stream=False)))
    assert plain == {"model": "m", "messages": []}


OPENAI_TEXT = (
    b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":" w\\u00f6rld"},"finish_reason":null}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,'
    b'"prompt_tokens_details":{"cached_tokens":4}}}\n\n'
    b"data: [DONE]\n\n"
)

OPENAI_TOOLS = (
    b'data: {"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,'
    b'"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
    b'"function":{"arguments":"{\\"ci"}}]}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
    b'"function":{"arguments":"ty\\":\\"Paris\\"}"}}]}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b",'
    b'"function":{"name":"get_time","arguments":"{}"}}]}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
    b"data: [DONE]\n\n"
)


def test_openai_stream_text_usage_and_timing() -> None:
    for size in (len(OPENAI_TEXT), 7, 1):
        stream = openai_api.OpenAIStream()
        feed_split(stream, OPENAI_TEXT, size)
        r = result()
        stream.finish(r)
        assert stream.done and stream.error_kind is None
        assert r.text == "Hello wörld"
        assert r.finish_reason == "stop"
        assert (r.prompt_tokens, r.completion_tokens, r.cached_tokens) == (12, 2, 4)
        assert r.usage_reported
        assert len(r.token_ns) == 2  # the empty role chunk is not content
        assert r.first_token_ns == r.token_ns[0]


def test_openai_stream_tool_call_arguments_assembled() -> None:
    stream = openai_api.OpenAIStream()
    feed_split(stream, OPENAI_TOOLS, 13)
    r = result()
    stream.finish(r)
    assert r.tool_calls == [
        ToolCall("call_a", "get_weather", '{"city":"Paris"}'),
        ToolCall("call_b", "get_time", "{}"),
    ]
    assert r.finish_reason == "tool_calls"
    assert len(r.token_ns) == 3 and r.first_token_ns is not None
    assert not r.usage_reported


def test_openai_stream_malformed_and_cut() -> None:
    stream = openai_api.OpenAIStream()
    stream.feed(OPENAI_TEXT[:200] + b"\n\ndata: {not json\n\n", 5)
    assert stream.error_kind == "malformed_event"
    cut = openai_api.OpenAIStream()
    cut.feed(OPENAI_TEXT[: OPENAI_TEXT.index(b"data: [DONE]")], 5)
    assert not cut.done and cut.error_kind is None


def test_openai_stream_error_event() -> None:
    stream = openai_api.OpenAIStream()
    stream.feed(b'data: {"error":{"message":"slow down","type":"rate_limit_exceeded"}}\n\n', 1)
    assert stream.error_kind == "http_429"
    assert "slow down" in stream.error_detail


def test_openai_non_streamed_answer() -> None:
    body = json.dumps(
        {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"x":1}'},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 9},
        }
    ).encode()
    r = result()
    assert openai_api.parse_body(body, r, 77) is None
    assert r.tool_calls == [ToolCall("c", "f", '{"x":1}')]
    assert (r.first_token_ns, r.completion_tokens, r.usage_reported) == (77, 9, True)
    assert openai_api.parse_body(b'{"choices": [', result(), 1) == "malformed_event"


# --- Anthropic ------------------------------------------------------------------------


def test_anthropic_body_translates_system_tools_and_results() -> None:
    req = ChatRequest(
        model="claude-x",
        messages=CONVERSATION,
        tools=TOOLS,
        tool_choice="required",
        seed=3,
        temperature=0.5,
    )
    body = json.loads(anthropic_api.build_body(req))
    assert body["system"] == "Be brief."
    assert body["max_tokens"] == anthropic_api.DEFAULT_MAX_TOKENS
    assert body["stream"] is True
    assert "seed" not in body and body["temperature"] == 0.5
    assert body["tools"] == [
        {
            "name": "get_weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            "description": "Weather in a city",
        }
    ]
    assert body["tool_choice"] == {"type": "any"}
    msgs = body["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert msgs[0]["content"] == "Weather in Paris and Rome?"
    assert msgs[1]["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
    ]
    # both tool results and the next user text share one user turn (roles must alternate)
    assert msgs[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
        {"type": "tool_result", "tool_use_id": "call_2", "content": "rain"},
        {"type": "text", "text": "Thanks, summarise."},
    ]
    named = anthropic_api.convert_tool_choice({"type": "function", "function": {"name": "f"}})
    assert named == {"type": "tool", "name": "f"}


ANTHROPIC_STREAM = (
    b"event: message_start\n"
    b'data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",'
    b'"content":[],"model":"claude-x","usage":{"input_tokens":20,"output_tokens":1,'
    b'"cache_read_input_tokens":5,"cache_creation_input_tokens":0}}}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b"event: ping\n"
    b'data: {"type": "ping"}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"Let me"}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":" check."}}\n\n'
    b"event: content_block_stop\n"
    b'data: {"type":"content_block_stop","index":0}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use",'
    b'"id":"toolu_1","name":"get_weather","input":{}}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"{\\"city\\": "}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"\\"Paris\\"}"}}\n\n'
    b"event: content_block_stop\n"
    b'data: {"type":"content_block_stop","index":1}\n\n'
    b"event: message_delta\n"
    b'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
    b'"usage":{"output_tokens":30}}\n\n'
    b"event: message_stop\n"
    b'data: {"type":"message_stop"}\n\n'
)


def test_anthropic_stream_text_tools_usage() -> None:
    for size in (len(ANTHROPIC_STREAM), 11, 1):
        stream = anthropic_api.AnthropicStream()
        feed_split(stream, ANTHROPIC_STREAM.replace(b"\n", b"\r\n"), size)
        r = result()
        stream.finish(r)
        assert stream.done and stream.error_kind is None
        assert r.text == "Let me check."
        assert r.tool_calls == [ToolCall("toolu_1", "get_weather", '{"city": "Paris"}')]
        assert r.finish_reason == "tool_calls"
        assert (r.prompt_tokens, r.cached_tokens, r.completion_tokens) == (25, 5, 30)
        assert r.usage_reported
        assert len(r.token_ns) == 4


def test_anthropic_stream_error_event_and_cut() -> None:
    stream = anthropic_api.AnthropicStream()
    stream.feed(
        b"event: error\n"
        b'data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        1,
    )
    assert stream.error_kind == "http_529"
    cut = anthropic_api.AnthropicStream()
    cut.feed(ANTHROPIC_STREAM[: ANTHROPIC_STREAM.index(b"event: message_delta")], 1)
    r = result()
    cut.finish(r)
    assert not cut.done
    assert not r.usage_reported  # message_start's output count is a placeholder


def test_anthropic_non_streamed_answer() -> None:
    body = json.dumps(
        {
            "id": "msg",
            "type": "message",
            "role": "assistant",
            "stop_reason": "end_turn",
            "content": [
                {"type": "text", "text": "Hi"},
                {"type": "tool_use", "id": "t", "name": "f", "input": {"a": [1]}},
            ],
            "usage": {"input_tokens": 8, "output_tokens": 2},
        }
    ).encode()
    r = result()
    assert anthropic_api.parse_body(body, r, 9) is None
    assert r.text == "Hi" and r.finish_reason == "stop"
    assert r.tool_calls == [ToolCall("t", "f", '{"a":[1]}')]
    assert (r.prompt_tokens, r.completion_tokens, r.usage_reported) == (8, 2, True)
