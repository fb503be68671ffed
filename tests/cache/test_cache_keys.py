"""Keys: two requests that differ in anything that changes the answer never share an entry."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cache_testkit import make_request

from raafperf.cache.keys import canonical_model, last_user_text, request_key, semantic_scope
from raafperf.client.types import ChatRequest

TOOL = {
    "type": "function",
    "function": {"name": "lookup", "description": "d", "parameters": {"type": "object"}},
}


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("gpt-4o", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("openai:gpt-4o", "gpt-4o"),
        ("OpenAI/GPT-4o ", "gpt-4o"),
        ("accounts/fireworks/models/llama-v3-70b", "llama-v3-70b"),
        ("anthropic/claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022"),
        ("ft:gpt-4o-mini:acme:custom:abc123", "ft:gpt-4o-mini:acme:custom:abc123"),
    ],
)
def test_canonical_model_strips_provider_prefixes(name: str, canonical: str) -> None:
    assert canonical_model(name) == canonical


def test_dated_snapshots_are_different_models_and_aliases_merge_names() -> None:
    assert canonical_model("gpt-4o-2024-08-06") != canonical_model("gpt-4o-2024-05-13")
    assert canonical_model("gpt-4o-2024-08-06") != canonical_model("gpt-4o")
    aliases = {"gpt-4o-latest": "gpt-4o"}
    assert canonical_model("openai/gpt-4o-latest", aliases) == "gpt-4o"


def test_provider_prefix_does_not_change_the_key() -> None:
    a = request_key(make_request(model="gpt-4o"))
    assert a == request_key(make_request(model="openai/gpt-4o"))
    assert a != request_key(make_request(model="gpt-4o-2024-08-06"))


def _with(field: str, value: Any) -> ChatRequest:
    req = make_request()
    setattr(req, field, value)
    return req


CHANGES: list[tuple[str, Any, Any]] = [
    ("model", "gpt-4o-mini", "gpt-4o"),
    ("agent", "helper", "other"),
    ("temperature", 0.0, 0.7),
    ("temperature", None, 0.0),
    ("top_p", None, 0.9),
    ("seed", None, 7),
    ("seed", 1, 2),
    ("max_tokens", None, 100),
    ("max_tokens", 100, 101),
    ("tools", None, [TOOL]),
    ("tool_choice", None, "required"),
    ("tool_choice", "auto", {"type": "function", "function": {"name": "lookup"}}),
    ("response_format", None, {"type": "json_object"}),
]


@pytest.mark.parametrize(("field", "a", "b"), CHANGES)
def test_every_field_that_changes_the_answer_changes_the_key(field: str, a: Any, b: Any) -> None:
    assert request_key(_with(field, a)) == request_key(_with(field, copy.deepcopy(a)))
    assert request_key(_with(field, a)) != request_key(_with(field, b))


def test_messages_system_prompt_and_tool_specs_change_the_key() -> None:
    base = request_key(make_request())
    assert base != request_key(make_request(system="You are terse."))
    assert base != request_key(make_request("What is the capital of Spain?"))
    longer = make_request()
    longer.messages.insert(1, {"role": "user", "content": "hi"})
    assert base != request_key(longer)
    other_tool = copy.deepcopy(TOOL)
    other_tool["function"]["parameters"] = {"type": "object", "properties": {"x": {}}}
    assert request_key(make_request(tools=[TOOL])) != request_key(make_request(tools=[other_tool]))


def test_streaming_and_headers_and_number_spelling_do_not_change_the_key() -> None:
    a = make_request(stream=True, temperature=1, headers={"x-raafperf-request-id": "1"})
    b = make_request(stream=False, temperature=1.0, headers={"x-raafperf-request-id": "2"})
    assert request_key(a) == request_key(b)
    assert len(request_key(a)) == 64


def test_dict_order_does_not_change_the_key() -> None:
    a = make_request(response_format={"type": "json_schema", "json_schema": {"a": 1, "b": 2}})
    b = make_request(response_format={"json_schema": {"b": 2, "a": 1}, "type": "json_schema"})
    assert request_key(a) == request_key(b)


def test_context_values_enter_the_key_and_normalizer_applies_to_user_text_only() -> None:
    req = make_request()
    assert request_key(req, context={"user": "u1"}) != request_key(req, context={"user": "u2"})
    assert request_key(req, context={"user": "u1"}) != request_key(req)
    loud = make_request("WHAT IS THE CAPITAL OF FRANCE?", system="SYSTEM")
    quiet = make_request("what is the capital of france?", system="SYSTEM")
    assert request_key(loud, normalize=str.lower) == request_key(quiet, normalize=str.lower)
    other_system = make_request("what is the capital of france?", system="system")
    assert request_key(quiet, normalize=str.lower) != request_key(other_system, normalize=str.lower)


def test_semantic_scope_ignores_only_the_query() -> None:
    a = make_request("What is the capital of France?")
    b = make_request("Which city is France's capital?")
    assert semantic_scope(a, "e1") == semantic_scope(b, "e1")
    assert semantic_scope(a, "e1") != semantic_scope(b, "e2")
    assert semantic_scope(a, "e1") != semantic_scope(make_request(agent="other"), "e1")
    assert semantic_scope(a, "e1") != semantic_scope(make_request(temperature=0.5), "e1")
    assert semantic_scope(a, "e1") != request_key(a)


def test_last_user_text_needs_the_last_message_to_be_the_users() -> None:
    req = make_request("Hello there")
    assert last_user_text(req) == "Hello there"
    req.messages.append({"role": "assistant", "content": "hi"})
    assert last_user_text(req) is None
    parts = ChatRequest(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "part one"},
                    {"type": "text", "text": "part two"},
                ],
            }
        ],
    )
    assert last_user_text(parts) == "part one part two"
