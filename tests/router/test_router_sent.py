"""The router hands on when the call's request first reached a socket (``sent_ns``)."""

from __future__ import annotations

from router_testkit import FakeProvider, make_router, pconf, req

from raafperf.client.types import CallResult, ChatRequest

NO_BREAKER = {"breaker": {"enabled": False}}


class Sending(FakeProvider):
    """A FakeProvider that says when its request went out and how long it waited first."""

    wait_ns: int = 300

    async def call(self, request: ChatRequest) -> CallResult:
        result = await super().call(request)
        result.sent_ns, result.send_wait_ns = result.start_ns + 1_000, self.wait_ns
        return result


async def test_a_fallback_keeps_the_first_providers_send() -> None:
    bad, good = Sending("bad", outcome="http_503"), Sending("good")
    bad.wait_ns, good.wait_ns = 111, 222
    router = make_router(
        {"strategy": "priority", **NO_BREAKER},
        [(pconf("bad", priority=0), bad), (pconf("good", priority=1), good)],
    )
    result = await router.call(req())
    assert result.ok and result.provider == "good" and result.fallbacks == 1
    # The failed provider's send came first (the answer's own came after its whole call).
    assert result.start_ns <= result.sent_ns < result.first_token_ns - good.ttft_ms * 1e6
    assert result.send_wait_ns == 111  # the first provider's wait; no routing wait before it


async def test_one_provider_passes_its_send_through() -> None:
    only = Sending("only")
    router = make_router({**NO_BREAKER}, [(pconf("only"), only)])
    result = await router.call(req())
    assert result.ok and result.sent_ns is not None
    assert result.first_token_ns - result.sent_ns == 50_000_000 - 1_000
    assert result.send_wait_ns == 300
