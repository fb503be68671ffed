"""Injected faults: what the official SDKs raise, what the wire shows, and fault selection."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from raafperf.sim.config import FaultSpec
from raafperf.sim.faults import FaultPlan

MSG = [{"role": "user", "content": "hello"}]


def _chat(client: openai.OpenAI, **kw: object) -> object:
    return client.chat.completions.create(model="m", messages=MSG, **kw)


def _message(client: anthropic.Anthropic, **kw: object) -> object:
    return client.messages.create(model="c", max_tokens=50, messages=MSG, **kw)


def test_429_carries_retry_after_on_both_apis(oai, ant) -> None:
    with pytest.raises(openai.RateLimitError) as o:
        _chat(oai("r429"))
    assert o.value.response.headers["retry-after"] == "7"
    assert o.value.body["type"] == "requests"
    with pytest.raises(anthropic.RateLimitError) as a:
        _message(ant("r429"))
    assert a.value.response.headers["retry-after"] == "7"
    assert a.value.body["error"]["type"] == "rate_limit_error"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("r500", "api_error"),
        ("r502", "api_error"),
        ("r503", "api_error"),
        ("r529", "overloaded_error"),
    ],
)
def test_server_errors_are_internal_server_errors(oai, ant, name: str, kind: str) -> None:
    with pytest.raises(openai.InternalServerError) as o:
        _chat(oai(name))
    assert o.value.status_code == int(name[1:])
    assert o.value.body["type"] == "server_error"
    with pytest.raises(anthropic.InternalServerError) as a:
        _message(ant(name))
    assert a.value.body["error"]["type"] == kind


def test_hang_times_out(oai, ant) -> None:
    with pytest.raises(openai.APITimeoutError):
        _chat(oai("hang", timeout=0.3))
    with pytest.raises(anthropic.APITimeoutError):
        _message(ant("hang", timeout=0.3))


def test_reset_before_is_a_connection_error(oai, ant) -> None:
    with pytest.raises(openai.APIConnectionError):
        _chat(oai("reset"))
    with pytest.raises(anthropic.APIConnectionError):
        _message(ant("reset"))


def test_reset_mid_stream_breaks_the_stream_after_some_tokens(oai) -> None:
    got = []
    with pytest.raises((openai.APIConnectionError, httpx.HTTPError)):
        for chunk in _chat(oai("midreset"), stream=True):
            got.extend(c.delta.content for c in chunk.choices if c.delta.content)
    assert 0 < len(got) < 12


def test_cut_stream_ends_cleanly_without_final_events(endpoints) -> None:
    for path, body in (
        ("/v1/chat/completions", {"model": "m", "messages": MSG}),
        ("/v1/messages", {"model": "c", "max_tokens": 50, "messages": MSG}),
    ):
        r = httpx.post(
            endpoints["cut"].base_url + path,
            json={**body, "stream": True},
            headers={"authorization": "Bearer k", "x-api-key": "k"},
        )
        assert r.status_code == 200  # the chunked body ended properly
        assert "[DONE]" not in r.text
        assert "message_stop" not in r.text
        assert 'finish_reason":"stop' not in r.text
        assert r.text.count("content") >= 6 or r.text.count("text_delta") >= 6


def test_malformed_event_is_not_json(oai, endpoints) -> None:
    r = httpx.post(
        endpoints["malformed"].base_url + "/v1/chat/completions",
        json={"model": "m", "messages": MSG, "stream": True},
        headers={"authorization": "Bearer k"},
    )
    bad = [e for e in r.text.split("\n\n") if e.startswith("data: {") and not e.endswith("}")]
    assert len(bad) == 1
    assert r.text.endswith("data: [DONE]\n\n")
    with pytest.raises(ValueError):  # the SDK's JSON decoding fails
        list(_chat(oai("malformed"), stream=True))


def test_slow_headers_delay_the_response(endpoints) -> None:
    started = time.perf_counter()
    with httpx.stream(
        "POST",
        endpoints["slow"].base_url + "/v1/chat/completions",
        json={"model": "m", "messages": MSG, "stream": True},
        headers={"authorization": "Bearer k"},
    ) as r:
        waited = time.perf_counter() - started
        assert r.status_code == 200
    assert 0.29 < waited < 2.0


def test_every_third_chat_fails_and_models_are_spared(oai) -> None:
    client = oai("every3")
    outcomes = []
    for _ in range(6):
        try:
            _chat(client)
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("503")
        client.models.list()  # filtered out by endpoints: never fails, never counted
    assert outcomes == ["ok", "ok", "503", "ok", "ok", "503"]


# Fault selection as pure logic, with a fake clock.
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_window_outage_hits_health_probes_too() -> None:
    clock = Clock()
    plan = FaultPlan([FaultSpec(kind="http_503", start_s=10, end_s=20)], seed=1, clock=clock)
    assert plan.select("models") is None
    clock.now += 10
    assert plan.select("models").kind == "http_503"
    assert plan.select("messages").kind == "http_503"
    clock.now += 10
    assert plan.select("chat_completions") is None


def test_first_matching_fault_wins_and_probability_is_seeded() -> None:
    faults = [FaultSpec(kind="http_429", probability=0.3), FaultSpec(kind="http_500")]
    picks = [
        (f.kind if (f := FaultPlan(faults, seed=5).select("embeddings")) else None)
        for _ in range(3)
    ]
    assert picks[0] == picks[1] == picks[2]  # same seed, same first draw
    plan = FaultPlan(faults, seed=5)
    kinds = [plan.select("chat_completions").kind for _ in range(2000)]
    share = kinds.count("http_429") / len(kinds)
    assert 0.25 < share < 0.35
    assert set(kinds) == {"http_429", "http_500"}  # at most one fault, and always one here


def test_fault_config_is_validated() -> None:
    with pytest.raises(ValueError, match="end_s must be after start_s"):
        FaultSpec(kind="hang", start_s=5, end_s=5)
    with pytest.raises(ValueError, match="retry_after_s only applies"):
        FaultSpec(kind="http_500", retry_after_s=1)
    with pytest.raises(ValueError):
        FaultSpec(kind="http_418")
    with pytest.raises(ValueError):
        FaultSpec(kind="hang", probability=1.5)
