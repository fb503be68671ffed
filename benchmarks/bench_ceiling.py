"""The load generator's ceiling against a zero-latency streaming simulator, in one run.

Measures, on this machine: a bare aiohttp+uvloop client that parses every SSE line (the
practical ceiling), and raafperf with 1 and N worker processes, streaming and not.

    python benchmarks/bench_ceiling.py [--requests 6000] [--concurrency 32] [--tokens 16]

FIELD-NOTES figures for peers on the same kind of machine (2 cores, same mock): vLLM
`bench serve` ≈ 373 req/s, inference-perf ≈ 190, AIPerf ≈ 88–124, GuideLLM ≈ 73–99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

VLLM_REFERENCE_RPS = 373.0


async def bare_client(base_url: str, requests: int, concurrency: int, stream: bool) -> float:
    import aiohttp

    body = {"model": "m", "messages": [{"role": "user", "content": "go"}], "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    payload = json.dumps(body).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer x"}
    remaining = requests
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def user() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                async with session.post(
                    f"{base_url}/v1/chat/completions", data=payload, headers=headers
                ) as resp:
                    if stream:
                        async for line in resp.content:
                            if line.startswith(b"data: ") and line[6:].strip() != b"[DONE]":
                                json.loads(line[6:])
                    else:
                        json.loads(await resp.read())

        start = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        return requests / (time.perf_counter() - start)


def raafperf_rps(
    tmp: Path, requests: int, concurrency: int, tokens: int, stream: bool, workers: int
) -> tuple[float, dict]:
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.scenario.loader import load_scenario

    path = tmp / f"zero-{workers}-{stream}.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        name: zero
        providers:
          - name: sim
            kind: simulated
            models: [m]
            simulator: {{latency: {{ttft_ms: 0, itl_ms: 0, output_tokens: {tokens}}}}}
        agents: [{{name: a, model: m}}]
        queries: [{{agent: a, texts: ["go"]}}]
        load: {{mode: closed, concurrency: {concurrency}, requests: {requests}, warmup: 200}}
        stream: {str(stream).lower()}
        """)
    )
    outcome = run_bench(load_scenario(path), BenchOptions(out_root=tmp, workers=workers))
    v = outcome.summary["variants"]["baseline"]
    return v["throughput"]["requests_per_s"], v["generator"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=16)
    args = parser.parse_args()

    import uvloop

    from raafperf.sim import SimulatedProviderSpec, SimulatorConfig, SimulatorProcess
    from raafperf.sim.config import LatencyModel

    cfg = SimulatorConfig(latency=LatencyModel(ttft_ms=0, itl_ms=0, output_tokens=args.tokens))
    workers_n = max(2, (os.cpu_count() or 2) - 1)
    print(
        f"machine: {os.cpu_count()} cores; zero-latency mock, {args.tokens} output tokens, "
        f"concurrency {args.concurrency}, {args.requests} requests per measurement"
    )
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for stream in (True, False):
            with SimulatorProcess(
                [SimulatedProviderSpec(name="sim", models=[], config=cfg)]
            ) as sim:
                base = sim.endpoints["sim"].base_url
                uvloop.run(bare_client(base, 500, args.concurrency, stream))  # warm-up
                bare = uvloop.run(bare_client(base, args.requests, args.concurrency, stream))
            one, gen1 = raafperf_rps(tmp, args.requests, args.concurrency, args.tokens, stream, 1)
            many, _ = raafperf_rps(
                tmp, args.requests, args.concurrency, args.tokens, stream, workers_n
            )
            rows.append((stream, bare, one, many, gen1))
    print(
        f"{'mode':<14}{'bare aiohttp':>14}{'raafperf 1w':>14}{f'raafperf {workers_n}w':>14}"
        f"{'1w/bare':>10}{'best/bare':>11}{'best/vLLM':>11}"
    )
    for stream, bare, one, many, _gen in rows:
        best = max(one, many)
        print(
            f"{'streaming' if stream else 'non-streaming':<14}{bare:>14.0f}{one:>14.0f}"
            f"{many:>14.0f}{one / bare:>10.2f}{best / bare:>11.2f}"
            f"{best / VLLM_REFERENCE_RPS:>11.2f}"
        )
    print("vLLM reference: 373 req/s streaming at c32 (FIELD-NOTES, same kind of machine).")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
