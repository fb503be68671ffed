"""The ground-truth log, and what a client observes against it."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from pathlib import Path

import httpx

from raafperf.sim import (
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorServer,
    read_ground_truth,
)

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def test_clock_is_monotonic_and_shared_across_processes() -> None:
    info = time.get_clock_info("perf_counter")
    assert info.monotonic
    assert "CLOCK_MONOTONIC" in info.implementation


async def test_records_every_request(tmp_path: Path) -> None:
    spec = SimulatedProviderSpec(
        "gt", [], SimulatorConfig(latency=LatencyModel(ttft_ms=5, itl_ms=2, output_tokens=4))
    )
    async with SimulatorServer([spec], ground_truth_dir=tmp_path) as sim:
        url = sim.endpoints["gt"].base_url
        async with httpx.AsyncClient() as client:
            for i in range(2):
                r = await client.post(
                    url + "/v1/chat/completions",
                    json=BODY,
                    headers={
                        "authorization": "Bearer secret-key-123",
                        "x-raafperf-request-id": f"req-{i}",
                    },
                )
                assert r.status_code == 200
            await client.post(url + "/v1/chat/completions", json=BODY)  # 401
            await client.post(
                url + "/v1/messages",
                headers={"x-api-key": "k"},
                json={"model": "c", "max_tokens": 9, "messages": BODY["messages"]},
            )
    text = (tmp_path / "gt.groundtruth.jsonl").read_text()
    assert "secret-key-123" not in text  # keys are never logged
    recs = read_ground_truth(tmp_path / "gt.groundtruth.jsonl")
    assert [r["request_id"] for r in recs] == ["req-0", "req-1", None, None]
    first, second, unauthorized, message = recs
    assert first["connection_new"] and not second["connection_new"]
    assert first["connection_id"] == second["connection_id"]
    assert first["stream"] and first["endpoint"] == "chat_completions"
    assert len(first["token_ns"]) == 4 == first["output_tokens"]
    assert first["arrived_ns"] <= first["headers_sent_ns"] <= first["token_ns"][0]
    assert first["token_ns"] == sorted(first["token_ns"])
    assert first["token_ns"][0] - first["start_ns"] >= 5_000_000  # never early
    assert first["due_ns"] == [first["start_ns"] + (5 + 2 * i) * 1_000_000 for i in range(4)]
    assert all(s >= d for s, d in zip(first["token_ns"], first["due_ns"], strict=True))
    assert first["end_ns"] >= first["token_ns"][-1]
    assert first["status"] == 200 and first["outcome"] == "ok" and first["fault"] is None
    assert unauthorized["status"] == 401 and unauthorized["outcome"] == "error"
    assert message["endpoint"] == "messages" and not message["stream"]
    assert message["token_ns"] == [] and message["output_tokens"] == 4
    assert message["end_ns"] >= message["due_ns"][0] == message["start_ns"] + 11_000_000
    assert message["prompt_tokens"] > 0


def test_faults_are_in_the_ground_truth(endpoints, sim_process, truth_dir: Path) -> None:
    with httpx.Client() as client:
        for name in ("r503", "cut"):
            client.post(
                endpoints[name].base_url + "/v1/chat/completions",
                json=BODY,
                headers={"authorization": "Bearer k", "x-raafperf-request-id": name},
            )
    sim_process.flush_ground_truth()
    r503 = [
        r
        for r in read_ground_truth(truth_dir / "r503.groundtruth.jsonl")
        if r["request_id"] == "r503"
    ]
    cut = [
        r
        for r in read_ground_truth(truth_dir / "cut.groundtruth.jsonl")
        if r["request_id"] == "cut"
    ]
    assert r503[0]["status"] == 503 and r503[0]["fault"] == "http_503"
    assert cut[0]["outcome"] == "cut" and len(cut[0]["token_ns"]) == 6


async def test_client_sees_constant_ttft_and_itl_within_a_few_ms(
    endpoints, sim_process, truth_dir: Path
) -> None:
    """50 concurrent streams, TTFT 200 ms, ITL 20 ms (server in its own process)."""
    import aiohttp

    url = endpoints["timed"].base_url + "/v1/chat/completions"
    headers = {"authorization": "Bearer k"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        stamps_by_tag: dict[str, tuple[int, int]] = {}

        async def one(delay: float, tag: str = "warm") -> tuple[float, list[float]]:
            await asyncio.sleep(delay)
            started = time.perf_counter_ns()
            stamps: list[int] = []
            async with session.post(
                url, json=BODY, headers={**headers, "x-raafperf-request-id": tag}
            ) as r:
                async for line in r.content:
                    if b'"content":"' in line and b'"role"' not in line:
                        stamps.append(time.perf_counter_ns())
            stamps_by_tag[tag] = (started, stamps[0])
            gaps = [(b - a) / 1e6 for a, b in itertools.pairwise(stamps)]
            return (stamps[0] - started) / 1e6, gaps

        await asyncio.gather(*(one(0) for _ in range(50)))  # open the connections
        # Starts spread over 200 ms keep 50 streams in flight without every token of every
        # stream falling due in the same instant (which would measure the client, not us).
        results = await asyncio.gather(*(one(i * 0.004, f"timed-{i}") for i in range(50)))
    ttft = statistics.median(r[0] for r in results)
    itl = statistics.median(g for r in results for g in r[1])
    # A shared, noisy machine: the bounds are generous, but nothing may come early.
    assert 200 <= ttft < 210, ttft  # typically 200.4-200.6 here
    assert 17 < itl < 23, itl
    sim_process.flush_ground_truth()
    recs = [
        r
        for r in read_ground_truth(truth_dir / "timed.groundtruth.jsonl")
        if r["request_id"].startswith("timed-")
    ]
    late = [
        (sent - due) / 1e6
        for r in recs
        for sent, due in zip(r["token_ns"], r["due_ns"], strict=True)
    ]
    assert len(late) == 50 * 6
    assert min(late) >= 0  # never early
    assert statistics.median(late) < 2.0  # typically ~0.05 ms
    # One clock for both processes: the client's stamps bracket the server's.
    for r in recs:
        client_start, client_first = stamps_by_tag[r["request_id"]]
        assert client_start < r["arrived_ns"] < r["token_ns"][0] < client_first


async def test_a_client_that_gives_up_is_recorded(tmp_path: Path) -> None:
    spec = SimulatedProviderSpec(
        "gone", [], SimulatorConfig(latency=LatencyModel(ttft_ms=5, itl_ms=40, output_tokens=20))
    )
    async with SimulatorServer([spec], ground_truth_dir=tmp_path) as sim:
        url = sim.endpoints["gone"].base_url + "/v1/chat/completions"
        async with httpx.AsyncClient() as client:
            async with client.stream(
                "POST", url, json=BODY, headers={"authorization": "Bearer k"}
            ) as r:
                async for line in r.aiter_lines():
                    if '"content":"' in line and '"role"' not in line:
                        break  # leaving the block closes the connection mid-stream
            await asyncio.sleep(0.1)
    (rec,) = read_ground_truth(tmp_path / "gone.groundtruth.jsonl")
    assert rec["outcome"] == "client_closed"
    assert 1 <= len(rec["token_ns"]) < 20
    assert rec["end_ns"] - rec["token_ns"][-1] < 40_000_000
