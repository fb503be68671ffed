"""API keys: taken from the environment, sent, and never seen in results, errors or stats."""

from __future__ import annotations

import pytest

from raafperf.client.answer import error_detail, redact
from raafperf.client.provider import ProviderClient, resolve_api_key
from raafperf.client.types import ChatRequest
from raafperf.errors import UsageError
from raafperf.scenario.model import ProviderConfig

SECRET = "sk-test-Zq81SECRETvalue0042"


def ask(stream: bool = True) -> ChatRequest:
    return ChatRequest(model="m", messages=[{"role": "user", "content": "Hi"}], stream=stream)


async def test_key_is_sent_but_never_shown(sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAAFPERF_TEST_KEY", SECRET)
    seen: list[str] = []
    for provider in ("ok", "f_http_429", "f_reset_mid_stream", "f_malformed_event", "tls"):
        for api in ("openai", "anthropic"):
            async with sim.client(provider, api, api_key_env="RAAFPERF_TEST_KEY") as client:
                r = await client.call(ask())
                seen += [repr(r), str(client.stats()), repr(client)]
                if provider == "ok":
                    assert r.ok  # the simulator answers 401 without a key
    seen.append(repr(sim.client("ok", kind="openai", api_key_env="RAAFPERF_TEST_KEY")))
    assert not any(SECRET in s for s in seen)


def test_missing_key_for_a_real_provider_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("RAAFPERF_NO_SUCH_KEY", raising=False)
    real = ProviderConfig(name="oa", kind="openai", models=["gpt-4o-mini"])
    with pytest.raises(UsageError, match="OPENAI_API_KEY is not set"):
        ProviderClient(real)
    named = ProviderConfig(
        name="an", kind="anthropic", models=["c"], api_key_env="RAAFPERF_NO_SUCH_KEY"
    )
    with pytest.raises(UsageError, match="RAAFPERF_NO_SUCH_KEY"):
        resolve_api_key(named)
    simulated = ProviderConfig(
        name="s", kind="simulated", models=["m"], api_key_env="RAAFPERF_NO_SUCH_KEY"
    )
    assert resolve_api_key(simulated)  # a placeholder: the simulator takes any key


def test_error_bodies_are_scrubbed() -> None:
    body = (
        b'{"error":{"type":"invalid_request_error","message":"Incorrect API key provided: '
        + SECRET.encode()
        + b'"}}'
    )
    detail = error_detail(body)
    assert SECRET not in detail and detail.startswith("invalid_request_error")
    assert redact(f"key {SECRET} and again {SECRET}", SECRET) == "key *** and again ***"
    assert "abcd1234efgh" not in redact("x-api-key: key-abcd1234efgh")
