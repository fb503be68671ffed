"""The OpenAI surface, driven by the official openai SDK."""

from __future__ import annotations

import json
import math

import httpx
import openai
import pytest

MSG = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city"],
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}


def test_plain_completion_has_the_real_shape(oai) -> None:
    done = oai().chat.completions.create(model="gpt-4o-mini", messages=MSG)
    assert done.id.startswith("chatcmpl-")
    assert done.object == "chat.completion"
    assert done.model == "gpt-4o-mini"
    choice = done.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert len(choice.message.content.split()) == 12
    assert done.usage.completion_tokens == 12
    assert done.usage.prompt_tokens > 7
    assert done.usage.total_tokens == done.usage.prompt_tokens + 12


def test_stream_matches_the_plain_answer_and_reports_usage(oai) -> None:
    client = oai()
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MSG, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) == 12  # one token per chunk
    assert "".join(pieces) == plain.choices[0].message.content
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 12
    assert len({c.id for c in chunks}) == 1


def test_stream_without_usage_option_sends_no_usage_chunk(endpoints) -> None:
    body = {"model": "m", "messages": MSG, "stream": True}
    r = httpx.post(
        endpoints["fast"].base_url + "/v1/chat/completions",
        json=body,
        headers={"authorization": "Bearer sk-test"},
    )
    events = [e for e in r.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    assert all('"usage"' not in e for e in events)
    assert r.headers["content-type"].startswith("text/event-stream")


def test_max_tokens_cuts_with_length(oai) -> None:
    done = oai().chat.completions.create(model="m", messages=MSG, max_completion_tokens=3)
    assert done.choices[0].finish_reason == "length"
    assert done.usage.completion_tokens == 3
    assert len(done.choices[0].message.content.split()) == 3


def test_tool_call_rounds_then_text(oai) -> None:
    client = oai("tools")  # tool_rounds: 2
    messages: list = [{"role": "user", "content": "Weather in Paris, then search."}]
    called = []
    for _ in range(2):
        done = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER, SEARCH])
        assert done.choices[0].finish_reason == "tool_calls"
        call = done.choices[0].message.tool_calls[0]
        assert call.id.startswith("call_")
        called.append(call.function.name)
        args = json.loads(call.function.arguments)
        messages.append(done.choices[0].message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
        if call.function.name == "get_weather":
            assert isinstance(args["city"], str)
            assert args["unit"] in ("c", "f")
            assert 1 <= args["days"] <= 7
    assert called == ["get_weather", "search"]
    final = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER, SEARCH])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content


def test_streamed_tool_call_arguments_assemble_to_json(oai) -> None:
    stream = oai("tools").chat.completions.create(
        model="m", messages=MSG, tools=[WEATHER], stream=True
    )
    args, name, finish = "", None, None
    for chunk in stream:
        delta = chunk.choices[0].delta
        for call in delta.tool_calls or []:
            name = name or call.function.name
            args += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert name == "get_weather"
    assert finish == "tool_calls"
    assert set(json.loads(args)) == {"city", "unit", "days"}


def test_scripting_headers_choose_rounds_and_tools(oai) -> None:
    client = oai("fast")  # configured tool_rounds: 1
    headers = {"x-sim-tool-rounds": "3", "x-sim-tools": "search"}
    messages: list = list(MSG)
    for _ in range(3):
        done = client.chat.completions.create(
            model="m", messages=messages, tools=[WEATHER, SEARCH], extra_headers=headers
        )
        call = done.choices[0].message.tool_calls[0]
        assert call.function.name == "search"
        messages += [
            done.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "found"},
        ]
    done = client.chat.completions.create(
        model="m", messages=messages, tools=[WEATHER, SEARCH], extra_headers=headers
    )
    assert done.choices[0].finish_reason == "stop"
    none = client.chat.completions.create(
        model="m", messages=MSG, tools=[WEATHER], extra_headers={"x-sim-tool-rounds": "0"}
    )
    assert none.choices[0].finish_reason == "stop"


def test_embeddings_are_deterministic_unit_vectors(oai) -> None:
    client = oai("tools")  # embedding_dim: 64
    one = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    again = client.embeddings.create(
        model="text-embedding-3-small", input="alpha", encoding_format="float"
    )
    assert [d.index for d in one.data] == [0, 1]
    a, b = one.data[0].embedding, one.data[1].embedding
    assert len(a) == 64
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-5)
    assert again.data[0].embedding == pytest.approx(a, abs=1e-6)
    assert a != b
    assert one.usage.prompt_tokens == 2
    sized = client.embeddings.create(model="e", input="alpha", dimensions=8)
    assert len(sized.data[0].embedding) == 8


def test_models_list(oai) -> None:
    ids = [m.id for m in oai("strict").models.list()]
    assert ids == ["gpt-4o-mini", "claude-test"]


def test_unknown_model_is_not_found(oai) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai("strict").chat.completions.create(model="gpt-9", messages=MSG)
    assert caught.value.body["code"] == "model_not_found"


def test_missing_key_gets_401_with_the_real_body(endpoints) -> None:
    r = httpx.post(
        endpoints["fast"].base_url + "/v1/chat/completions", json={"model": "m", "messages": MSG}
    )
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert set(err) == {"message", "type", "param", "code"}


def test_bad_json_and_bad_fields_are_400(endpoints) -> None:
    url = endpoints["fast"].base_url + "/v1/chat/completions"
    auth = {"authorization": "Bearer sk-test", "content-type": "application/json"}
    assert httpx.post(url, content=b"{nope", headers=auth).status_code == 400
    r = httpx.post(url, json={"model": "m", "messages": []}, headers=auth)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "messages"
    assert httpx.get(endpoints["fast"].base_url + "/v1/nothing", headers=auth).status_code == 404


def test_token_id_input_and_odd_requests_get_answers_not_hangs(endpoints) -> None:
    base = endpoints["fast"].base_url
    auth = {"authorization": "Bearer sk-test"}
    r = httpx.post(
        base + "/v1/embeddings",
        headers=auth,
        json={"model": "e", "input": [101, 102, 103]},
        timeout=5,
    )
    assert r.status_code == 200
    assert len(r.json()["data"]) == 1 and r.json()["usage"]["prompt_tokens"] == 3
    r = httpx.post(base + "/v1/embeddings", headers=auth, json={"model": "e", "input": [{}]})
    assert r.status_code == 400
    odd = {"model": "m", "messages": MSG, "stream": True, "stream_options": "yes please"}
    r = httpx.post(base + "/v1/chat/completions", headers=auth, json=odd, timeout=5)
    assert r.status_code in (400, 500)
    assert "error" in r.json()


def test_tool_choice_naming_a_tool_is_obeyed(oai) -> None:
    done = oai().chat.completions.create(
        model="m",
        messages=MSG,
        tools=[WEATHER, SEARCH],
        tool_choice={"type": "function", "function": {"name": "search"}},
    )
    assert done.choices[0].message.tool_calls[0].function.name == "search"
    plain = oai().chat.completions.create(
        model="m", messages=MSG, tools=[WEATHER], tool_choice="none"
    )
    assert plain.choices[0].finish_reason == "stop"
