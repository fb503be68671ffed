"""Calls against the simulator on loopback: both APIs, streamed or not, tools, timing."""

from __future__ import annotations

import asyncio

import pytest

from raafperf.client.types import ChatRequest

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
TRANSPORTS = ["aiohttp", "httpx"]


def ask(text: str = "Hello?", **kw) -> ChatRequest:
    return ChatRequest(
        model="m",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}],
        **kw,
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_text_answer(sim, transport: str, api: str, stream: bool) -> None:
    async with sim.client("ok", api, transport=transport) as client:
        r = await client.call(ask(stream=stream))
    assert r.ok, r.error_detail
    assert (r.status, r.error_kind, r.attempts) == (200, None, 1)
    assert len(r.text.split()) == 8
    assert r.finish_reason == "stop"
    assert r.usage_reported and r.completion_tokens == 8 and r.prompt_tokens > 0
    assert r.start_ns < r.first_token_ns <= r.end_ns
    assert len(r.token_ns) == (8 if stream else 1)
    assert r.token_ns == sorted(r.token_ns)
    assert set(r.stages_ns) == {"connection_wait", "network", "parsing"}
    assert r.new_connection and r.connect_ns > 0


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_tool_call_round_trip(sim, api: str, stream: bool) -> None:
    async with sim.client("ok", api) as client:
        first = await client.call(ask("Weather in Paris?", tools=TOOLS, stream=stream))
        assert first.ok, first.error_detail
        assert first.finish_reason == "tool_calls"
        assert len(first.tool_calls) == 1
        call = first.tool_calls[0]
        assert call.name == "get_weather" and call.id
        assert '"city"' in call.arguments
        assert first.first_token_ns is not None  # tool arguments count as content
        messages = [
            *ask("Weather in Paris?").messages,
            {
                "role": "assistant",
                "content": first.text or None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
        ]
        second = await client.call(
            ChatRequest(model="m", messages=messages, tools=TOOLS, stream=stream)
        )
    assert second.ok, second.error_detail
    assert second.tool_calls == [] and second.text
    assert second.finish_reason == "stop"


async def test_timestamps_agree_with_ground_truth(sim) -> None:
    ids = {f"gt-{i}" for i in range(3)}
    async with sim.client("ok") as client:
        results = await asyncio.gather(
            *[client.call(ask(headers={"x-raafperf-request-id": rid})) for rid in sorted(ids)]
        )
    truth = {t["request_id"]: t for t in sim.truth("ok", ids)}
    for rid, r in zip(sorted(ids), results, strict=True):
        t = truth[rid]
        assert r.ok
        assert r.start_ns < t["arrived_ns"]
        assert len(t["token_ns"]) == len(r.token_ns)
        for sent, got in zip(t["token_ns"], r.token_ns, strict=True):
            # One clock for both processes. The simulator stamps a token just after its write
            # returns, so the client may see it a little before that stamp.
            assert sent - 2_000_000 <= got < sent + 100_000_000
        assert t["end_ns"] <= r.end_ns


async def test_embeddings_and_health(sim) -> None:
    async with sim.client("ok") as client:
        vectors = await client.embed(["a", "b", "c"], "text-embedding-3-small")
        short = await client.embed(["a"], "text-embedding-3-small", dimensions=32)
        assert await client.health_check()
    assert len(vectors) == 3 and all(len(v) == 256 for v in vectors)
    assert vectors[0] != vectors[1]
    assert len(short[0]) == 32
    async with sim.client("f_hang", timeouts={"read": 5}) as client:
        assert not await client.health_check(timeout=0.3)
