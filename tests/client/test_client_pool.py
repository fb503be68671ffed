"""Pooling, connection cost and TLS, read from trace events and checked against the simulator."""

from __future__ import annotations

import asyncio

import pytest

from raafperf.client.types import ChatRequest

TRANSPORTS = ["aiohttp", "httpx"]


def ask(rid: str = "") -> ChatRequest:
    headers = {"x-raafperf-request-id": rid} if rid else {}
    return ChatRequest(model="m", messages=[{"role": "user", "content": "Hi"}], headers=headers)


async def users(client, n_users: int, per_user: int, tag: str) -> list:
    async def user(u: int) -> list:
        return [await client.call(ask(f"{tag}-{u}-{i}")) for i in range(per_user)]

    return [r for rs in await asyncio.gather(*[user(u) for u in range(n_users)]) for r in rs]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pooled_one_connection_per_concurrent_user(sim, transport: str) -> None:
    async with sim.client("ok", transport=transport) as client:
        results = await users(client, 4, 5, f"pool-{transport}")
        stats = client.stats()
    assert all(r.ok for r in results)
    assert stats["requests"] == 20
    assert stats["connections_opened"] == 4
    assert stats["requests_per_connection"] == 5
    assert stats["reuse_ratio"] == pytest.approx(0.8)
    assert stats["connect_ms_total"] > 0 and stats["max_in_flight"] == 4
    assert sum(r.new_connection for r in results) == 4
    assert stats["pool_waits"] == 0
    ids = {f"pool-{transport}-{u}-{i}" for u in range(4) for i in range(5)}
    truth = sim.truth("ok", ids)
    assert len({t["connection_id"] for t in truth}) == 4  # what the server saw


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pool_off_one_connection_per_request(sim, transport: str) -> None:
    async with sim.client("ok", transport=transport, pool=False) as client:
        results = await users(client, 4, 3, f"nopool-{transport}")
        stats = client.stats()
    assert all(r.ok and r.new_connection and r.connect_ns > 0 for r in results)
    assert stats["requests"] == stats["connections_opened"] == 12
    assert stats["reuse_ratio"] == 0
    ids = {f"nopool-{transport}-{u}-{i}" for u in range(4) for i in range(3)}
    truth = sim.truth("ok", ids)
    assert len({t["connection_id"] for t in truth}) == 12
    assert all(t["connection_new"] for t in truth)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_full_pool_makes_requests_wait(sim, transport: str) -> None:
    async with sim.client("ok", transport=transport, max_connections=2) as client:
        results = await asyncio.gather(*[client.call(ask()) for _ in range(6)])
        stats = client.stats()
    assert all(r.ok for r in results)
    assert stats["connections_opened"] == 2
    assert stats["pool_waits"] >= 3 and stats["pool_wait_ms_total"] > 0


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_connection_cost_is_paid_only_on_new_connections(sim, transport: str) -> None:
    async with sim.client("cost", transport=transport) as client:
        first = await client.call(ask())
        second = await client.call(ask())
    assert first.ok and second.ok
    assert first.new_connection and not second.new_connection
    e2e = [(r.end_ns - r.start_ns) / 1e6 for r in (first, second)]
    assert e2e[0] >= 195
    assert e2e[1] < e2e[0] - 100
    async with sim.client("cost", transport=transport, pool=False) as client:
        fresh = [await client.call(ask()) for _ in range(2)]
    assert all(r.new_connection and (r.end_ns - r.start_ns) / 1e6 >= 195 for r in fresh)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tls_with_the_simulators_ca(sim, transport: str) -> None:
    assert sim.endpoints["tls"].base_url.startswith("https://")
    async with sim.client("tls", transport=transport, ca=True) as client:
        results = [await client.call(ask()) for _ in range(3)]
        stats = client.stats()
    assert all(r.ok for r in results), results[0].error_detail
    assert stats["connections_opened"] == 1 and stats["connect_ms_total"] > 0
    if transport == "httpx":  # aiohttp reports the handshake inside connect time
        assert stats["tls_handshakes"] == 1 and stats["tls_ms_total"] > 0
    async with sim.client("tls", transport=transport) as client:  # CA not trusted
        untrusted = await client.call(ask())
    assert untrusted.error_kind == "connect_error"
    assert "certificate" in untrusted.error_detail.lower()
    async with sim.client("tls", transport=transport, verify=False) as client:
        assert (await client.call(ask())).ok


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pool_timeout(sim, transport: str) -> None:
    timeouts = {"pool": 0.1, "connect": 0.1}
    async with sim.client(
        "gappy", transport=transport, max_connections=1, timeouts=timeouts
    ) as client:
        slow, starved = await asyncio.gather(client.call(ask()), client.call(ask()))
    assert slow.ok
    assert starved.error_kind == "timeout_pool", starved.error_detail
    assert (starved.end_ns - starved.start_ns) / 1e9 < 0.6
