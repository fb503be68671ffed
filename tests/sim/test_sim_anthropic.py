"""The Anthropic surface, driven by the official anthropic SDK."""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

MSG = [{"role": "user", "content": "Name three rivers."}]
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_plain_message_has_the_real_shape(ant) -> None:
    msg = ant().messages.create(model="claude-test", max_tokens=100, messages=MSG)
    assert msg.id.startswith("msg_")
    assert msg.type == "message"
    assert msg.role == "assistant"
    assert msg.stop_reason == "end_turn"
    assert msg.content[0].type == "text"
    assert len(msg.content[0].text.split()) == 12
    assert msg.usage.output_tokens == 12
    assert msg.usage.input_tokens > 3


def test_stream_text_matches_plain_and_usage(ant) -> None:
    client = ant()
    plain = client.messages.create(model="claude-test", max_tokens=100, messages=MSG)
    with client.messages.stream(model="claude-test", max_tokens=100, messages=MSG) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) == 12
    assert "".join(pieces) == plain.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 12


def test_stream_event_sequence_is_the_real_one(endpoints) -> None:
    body = {"model": "claude-test", "max_tokens": 3, "messages": MSG, "stream": True}
    r = httpx.post(
        endpoints["fast"].base_url + "/v1/messages",
        json=body,
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    events = [e.split("\n") for e in r.text.split("\n\n") if e]
    names = [e[0].removeprefix("event: ") for e in events]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    data = [json.loads(e[1].removeprefix("data: ")) for e in events]
    assert all(d["type"] == n for d, n in zip(data, names, strict=True))
    assert data[3]["delta"]["type"] == "text_delta"
    assert data[7]["delta"]["stop_reason"] == "max_tokens"
    assert data[7]["usage"]["output_tokens"] == 3
    assert "request-id" in r.headers


def test_tool_use_round_then_text(ant) -> None:
    client = ant()  # tool_rounds: 1
    first = client.messages.create(model="c", max_tokens=200, messages=MSG, tools=[WEATHER])
    assert first.stop_reason == "tool_use"
    block = first.content[0]
    assert block.type == "tool_use"
    assert block.id.startswith("toolu_")
    assert isinstance(block.input["city"], str)
    messages = [
        *MSG,
        {"role": "assistant", "content": [block.model_dump()]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}],
        },
    ]
    final = client.messages.create(model="c", max_tokens=200, messages=messages, tools=[WEATHER])
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text"


def test_streamed_tool_use_input_json(ant) -> None:
    with ant().messages.stream(model="c", max_tokens=200, messages=MSG, tools=[WEATHER]) as stream:
        deltas = [
            e.delta.partial_json
            for e in stream
            if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
        ]
        final = stream.get_final_message()
    assert len(deltas) > 1
    assert json.loads("".join(deltas)) == final.content[0].input
    assert final.stop_reason == "tool_use"


def test_missing_max_tokens_and_key(endpoints) -> None:
    url = endpoints["fast"].base_url + "/v1/messages"
    r = httpx.post(url, json={"model": "c", "messages": MSG}, headers={"x-api-key": "k"})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(url, json={"model": "c", "max_tokens": 5, "messages": MSG})
    assert r.status_code == 401
    assert r.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "x-api-key header is required"},
        "request_id": r.json()["request_id"],
    }


def test_unknown_model_and_models_list(ant) -> None:
    with pytest.raises(anthropic.NotFoundError):
        ant("strict").messages.create(model="claude-9", max_tokens=5, messages=MSG)
    assert [m.id for m in ant("strict").models.list()] == ["gpt-4o-mini", "claude-test"]
