"""Rate limits: the pure buckets with a fake clock, and the headers on the wire."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from raafperf.sim.config import RateLimits
from raafperf.sim.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_requests_refill_continuously() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(rpm=60), clock)
    assert all(limiter.admit(0).allowed for _ in range(60))
    refused = limiter.admit(0)
    assert not refused.allowed
    assert refused.which == "requests"
    assert refused.retry_after_s == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.admit(0).allowed
    assert not limiter.admit(0).allowed


def test_tokens_limit_and_state() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(tpm=600), clock)
    first = limiter.admit(500)
    assert first.allowed
    assert first.tokens.remaining == 100
    assert first.tokens.reset_s == pytest.approx(50.0)
    assert first.requests is None
    refused = limiter.admit(200)
    assert not refused.allowed and refused.which == "tokens"
    assert refused.retry_after_s == pytest.approx(10.0)
    clock.now += 10
    assert limiter.admit(200).allowed


def test_rate_limit_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="rpm, tpm or both"):
        RateLimits()


def test_openai_headers_on_success_and_429(endpoints) -> None:
    url = endpoints["limited"].base_url + "/v1/chat/completions"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    client = openai.OpenAI(
        base_url=endpoints["limited"].base_url + "/v1", api_key="k", max_retries=0
    )
    ok = client.chat.completions.with_raw_response.create(**body)
    assert ok.headers["x-ratelimit-limit-requests"] == "2"
    assert ok.headers["x-ratelimit-remaining-requests"] in ("0", "1")
    assert ok.headers["x-ratelimit-limit-tokens"] == "100000"
    assert ok.headers["x-ratelimit-reset-requests"].endswith("s")
    httpx.post(url, json=body, headers={"authorization": "Bearer k"})
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(**body)
    headers = caught.value.response.headers
    assert int(headers["retry-after"]) >= 1
    assert headers["x-ratelimit-remaining-requests"] == "0"
    with pytest.raises(anthropic.RateLimitError) as caught_a:
        anthropic.Anthropic(
            base_url=endpoints["limited"].base_url, api_key="k", max_retries=0
        ).messages.create(model="c", max_tokens=5, messages=body["messages"])
    headers = caught_a.value.response.headers
    assert headers["anthropic-ratelimit-requests-limit"] == "2"
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert "anthropic-ratelimit-tokens-limit" in headers
