"""How fast raafperf's provider client streams, against a bare aiohttp client.

The simulator (zero latency, N output tokens, streaming) runs as a child process pinned to
CPU 1; this process is pinned to CPU 0 and runs a closed loop of C users with each client:

  bare-aiohttp      aiohttp session, SSE parsed, every event json-decoded (the ceiling)
  raafperf-aiohttp  ProviderClient, transport aiohttp (CallResult, trace, pool stats, retry)
  raafperf-httpx    ProviderClient, transport httpx (httpcore)
  httpx-aiohttp     httpx.AsyncClient + httpx_aiohttp's AiohttpTransport, client.stream()
  httpx-default     httpx.AsyncClient, client.stream()

It prints requests/s, client CPU per request, and the timing error against the simulator's
ground truth (same monotonic clock): how long after the simulator wrote the first token the
client stamped it, and the same for the last byte.

    python benchmarks/bench_client_transport.py
    python benchmarks/bench_client_transport.py --requests 5000 --rounds 3 --loop asyncio
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from raafperf.client.sse import SSEParser
from raafperf.client.types import ChatRequest
from raafperf.sim import (
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorProcess,
    read_ground_truth,
)

EXTRA: dict = {}
MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Benchmark the client."}]
BODY = json.dumps(
    {
        "model": MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
).encode()
HEADERS = {
    "authorization": "Bearer bench",
    "content-type": "application/json",
    "accept": "text/event-stream",
    "accept-encoding": "identity",
}

# One request: (request id) -> (start_ns, content chunk arrival times, end_ns, ok)
OneRequest = Callable[[str], Awaitable[tuple[int, list[int], int, bool]]]


def _parse_stream_chunk(parser: SSEParser, chunk: bytes, now: int, tokens: list[int]) -> bool:
    done = False
    for _event, data in parser.feed(chunk):
        if data == b"[DONE]":
            done = True
            continue
        obj = json.loads(data)
        choices = obj.get("choices")
        if choices and choices[0].get("delta", {}).get("content"):
            tokens.append(now)
    return done


async def bare_aiohttp(url: str):
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
    endpoint = url + "/v1/chat/completions"

    async def one(rid: str):
        start = time.perf_counter_ns()
        tokens: list[int] = []
        done = False
        async with session.post(
            endpoint, data=BODY, headers={**HEADERS, "x-raafperf-request-id": rid}
        ) as resp:
            parser = SSEParser()
            async for chunk in resp.content.iter_any():
                done = _parse_stream_chunk(parser, chunk, time.perf_counter_ns(), tokens) or done
        return start, tokens, time.perf_counter_ns(), done

    return one, session.close


def _httpx_client(url: str, use_aiohttp: bool):
    import httpx

    async def make():
        transport = None
        if use_aiohttp:
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport(limits=httpx.Limits(max_connections=1000))
        client = httpx.AsyncClient(
            transport=transport,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
        )
        endpoint = url + "/v1/chat/completions"

        async def one(rid: str):
            start = time.perf_counter_ns()
            tokens: list[int] = []
            done = False
            async with client.stream(
                "POST", endpoint, content=BODY, headers={**HEADERS, "x-raafperf-request-id": rid}
            ) as resp:
                parser = SSEParser()
                async for chunk in resp.aiter_raw():
                    done = (
                        _parse_stream_chunk(parser, chunk, time.perf_counter_ns(), tokens) or done
                    )
            return start, tokens, time.perf_counter_ns(), done

        return one, client.aclose

    return make


def _raafperf(url: str, transport: str):
    from raafperf.client.provider import ProviderClient
    from raafperf.scenario.model import ProviderConfig

    async def make():
        config = ProviderConfig(
            name="sim",
            kind="simulated",
            models=[MODEL],
            client={"transport": transport, "max_connections": 1000, **EXTRA},
        )
        client = ProviderClient(config, base_url=url)

        async def one(rid: str):
            r = await client.call(
                ChatRequest(model=MODEL, messages=MESSAGES, headers={"x-raafperf-request-id": rid})
            )
            return r.start_ns, r.token_ns, r.end_ns, r.ok

        return one, client.aclose

    return make


async def run_closed_loop(
    one: OneRequest, tag: str, requests: int, concurrency: int, warmup: int
) -> dict:
    for i in range(warmup):
        await one(f"warm-{tag}-{i}")
    results: dict[str, tuple] = {}
    issued = 0

    async def user() -> None:
        nonlocal issued
        while issued < requests:
            rid = f"{tag}-{issued}"
            issued += 1
            results[rid] = await one(rid)

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*[user() for _ in range(concurrency)])
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    ok = sum(1 for r in results.values() if r[3])
    return {
        "rps": len(results) / wall,
        "cpu_us": cpu / len(results) * 1e6,
        "ok": ok,
        "results": results,
    }


def _q(xs: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(p * len(xs)) - 1))] if xs else float("nan")


def timing_errors(results: dict[str, tuple], truth: dict[str, dict]) -> dict:
    """Client stamps against the simulator's, per request; and TTFT/ITL as each saw them."""
    first_err, end_err = [], []
    ttft_client, ttft_true, itl_client, itl_true = [], [], [], []
    for rid, (start, tokens, end_ns, ok) in results.items():
        t = truth.get(rid)
        if not ok or t is None or not t.get("token_ns") or not tokens:
            continue
        sent = t["token_ns"]
        first_err.append((tokens[0] - sent[0]) / 1e3)
        end_err.append((end_ns - t["end_ns"]) / 1e3)
        ttft_client.append((tokens[0] - start) / 1e6)
        ttft_true.append((sent[0] - t["arrived_ns"]) / 1e6)
        itl_client += [(b - a) / 1e6 for a, b in itertools.pairwise(tokens)]
        itl_true += [(b - a) / 1e6 for a, b in itertools.pairwise(sent)]
    mean = statistics.fmean
    return {
        "first_p50_us": _q(first_err, 0.5),
        "first_p95_us": _q(first_err, 0.95),
        "end_p50_us": _q(end_err, 0.5),
        "ttft_ms": mean(ttft_client) if ttft_client else float("nan"),
        "ttft_true_ms": mean(ttft_true) if ttft_true else float("nan"),
        "itl_ms": mean(itl_client) if itl_client else float("nan"),
        "itl_true_ms": mean(itl_true) if itl_true else float("nan"),
        "n": len(first_err),
    }


def variants_for(url: str) -> dict[str, Callable]:
    return {
        "bare-aiohttp": lambda: bare_aiohttp(url),
        "raafperf-aiohttp": _raafperf(url, "aiohttp"),
        "raafperf-httpx": _raafperf(url, "httpx"),
        "httpx-aiohttp": _httpx_client(url, True),
        "httpx-default": _httpx_client(url, False),
    }


async def bench(
    url: str,
    chosen: list[str],
    rounds: int,
    requests: int,
    concurrency: int,
    warmup: int,
    phase: str,
) -> dict[str, list[dict]]:
    variants = variants_for(url)
    out: dict[str, list[dict]] = {v: [] for v in chosen}
    for rnd in range(rounds):
        for name in chosen:
            one, close = await variants[name]()
            try:
                res = await run_closed_loop(
                    one, f"{phase}-{name}-r{rnd}", requests, concurrency, warmup
                )
            finally:
                await close()
            out[name].append(res)
            print(
                f"  {phase} round {rnd + 1} {name:17s} {res['rps']:7.0f} req/s "
                f"{res['cpu_us']:6.0f} µs CPU/req  ok {res['ok']}",
                flush=True,
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument(
        "--timing-requests",
        type=int,
        default=640,
        help="requests per client in the timing phase (0 skips it)",
    )
    ap.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to CPUs 0 and 1")
    ap.add_argument("--only", nargs="*", help="clients to run (default: all)")
    args = ap.parse_args()

    pin = not args.no_pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {0})
    zero = LatencyModel(ttft_ms=0, itl_ms=0, output_tokens=args.tokens)
    timed = LatencyModel(ttft_ms=50, itl_ms=10, output_tokens=args.tokens)
    specs = [
        SimulatedProviderSpec(name="zero", models=[], config=SimulatorConfig(latency=zero)),
        SimulatedProviderSpec(name="timed", models=[], config=SimulatorConfig(latency=timed)),
    ]
    chosen = [v for v in variants_for("") if not args.only or v in args.only]
    runner = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    print(
        f"{len(chosen)} clients, streaming {args.tokens} tokens, concurrency {args.concurrency},"
        f" loop {args.loop}, pinned {pin}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimulatorProcess(specs, seed=1, ground_truth_dir=Path(tmp), cpu=1 if pin else None)
        urls = {name: ep.base_url for name, ep in sim.start().items()}
        try:
            speed = runner(
                bench(
                    urls["zero"],
                    chosen,
                    args.rounds,
                    args.requests,
                    args.concurrency,
                    args.warmup,
                    "speed",
                )
            )
            timing = {}
            if args.timing_requests:
                timing = runner(
                    bench(
                        urls["timed"],
                        chosen,
                        1,
                        args.timing_requests,
                        args.concurrency,
                        10,
                        "timing",
                    )
                )
        finally:
            sim.stop()
        truth: dict[str, dict] = {}
        for name in urls:
            path = Path(tmp) / f"{name}.groundtruth.jsonl"
            truth.update({t["request_id"]: t for t in read_ground_truth(path)})

    bare = (
        statistics.median(r["rps"] for r in speed["bare-aiohttp"])
        if "bare-aiohttp" in speed
        else None
    )
    print(
        f"\nzero latency, {args.requests} requests x {args.rounds} rounds: req/s median of"
        " rounds; CPU = client process CPU per request, best round; error = client stamp -"
        " simulator stamp"
    )
    print(
        f"{'client':17s} {'req/s':>7s} {'vs bare':>7s} {'CPU µs/req':>10s} "
        f"{'1st-token error p50/p95 µs':>27s} {'end error p50 µs':>16s}"
    )
    for name, rounds in speed.items():
        rps = statistics.median(r["rps"] for r in rounds)
        cpu = min(r["cpu_us"] for r in rounds)  # the least disturbed round
        err = timing_errors({k: v for r in rounds for k, v in r["results"].items()}, truth)
        ratio = f"{rps / bare:6.0%}" if bare else "   n/a"
        print(
            f"{name:17s} {rps:7.0f} {ratio:>7s} {cpu:10.0f} "
            f"{err['first_p50_us']:13.0f} / {err['first_p95_us']:<11.0f} "
            f"{err['end_p50_us']:16.0f}"
        )
    if timing:
        print(
            f"\nTTFT 50 ms, ITL 10 ms, {args.timing_requests} requests: mean TTFT and ITL as the"
            " client measured them, and as the simulator produced them for the same requests"
        )
        print(
            f"{'client':17s} {'TTFT ms':>8s} {'true':>6s} {'ITL ms':>7s} {'true':>6s} "
            f"{'CPU µs/req':>10s}"
        )
        for name, rounds in timing.items():
            err = timing_errors(rounds[0]["results"], truth)
            print(
                f"{name:17s} {err['ttft_ms']:8.2f} {err['ttft_true_ms']:6.2f} "
                f"{err['itl_ms']:7.2f} {err['itl_true_ms']:6.2f} {rounds[0]['cpu_us']:10.0f}"
            )


if __name__ == "__main__":
    main()
