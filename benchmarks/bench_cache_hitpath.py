"""What the cache layer adds to a call, per backend: hit, miss (lookup + store) and semantic hit.

    python benchmarks/bench_cache_hitpath.py [--n 2000] [--backends memory,sqlite,redis]

The inner layer answers at once, so the figures are the cache's own cost. Redis runs on a
redis-server started here on 127.0.0.1 (a free port, a temp dir); it is left out with a note
when the binary is absent. Timings on a shared 2-core machine are noisy: read the p50.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from time import perf_counter_ns

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raafperf.cache import CacheConfig, build_cache_layer, request_key
from raafperf.cache.local_redis import local_redis, redis_server_binary
from raafperf.client.types import CallResult, ChatRequest


class Instant:
    """A model caller that answers at once."""

    async def call(self, request: ChatRequest) -> CallResult:
        now = perf_counter_ns()
        return CallResult(
            ok=True,
            provider="inner",
            model=request.model,
            start_ns=now,
            end_ns=now,
            text="A cached answer of a realistic length. " * 8,
            finish_reason="stop",
            status=200,
            prompt_tokens=60,
            completion_tokens=80,
        )


def request(text: str) -> ChatRequest:
    return ChatRequest(
        model="gpt-4o-mini",
        agent="faq",
        messages=[
            {"role": "system", "content": "You answer customer questions in two sentences."},
            {"role": "user", "content": text},
        ],
        temperature=0.2,
        max_tokens=256,
    )


def pct(values: list[int], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))] / 1000


def line(label: str, values: list[int]) -> str:
    mean = sum(values) / len(values) / 1000
    return (
        f"  {label:<28} p50 {pct(values, 50):8.1f} µs   p90 {pct(values, 90):8.1f}"
        f"   p99 {pct(values, 99):8.1f}   mean {mean:8.1f}   (n={len(values)})"
    )


async def measure(config: CacheConfig, n: int) -> None:
    layer = build_cache_layer(config, Instant())
    hot = request("What is the return policy for online orders?")
    await layer.call(hot)
    for _ in range(50):  # warm up
        await layer.call(hot)
    hits = []
    for _ in range(n):
        t0 = perf_counter_ns()
        result = await layer.call(hot)
        hits.append(perf_counter_ns() - t0)
        assert result.cache == "hit"
    misses = []
    for i in range(min(n, 1000)):
        t0 = perf_counter_ns()
        result = await layer.call(request(f"Question number {i} about shipping to Peru"))
        misses.append(perf_counter_ns() - t0)
        assert result.cache == "miss"
    print(line("exact hit", hits))
    print(line("miss (lookup + store)", misses))
    await layer.aclose()

    sem = config.model_copy(
        update={
            "namespace": "bench-semantic",  # apart from the exact entries written above
            "semantic": config.semantic.model_copy(update={"enabled": True}),
        }
    )
    layer = build_cache_layer(sem, Instant())
    await layer.clear()
    await layer.call(request("How does the return policy work for orders placed online?"))
    para = request("What is the return policy for online orders?")
    stored = 1
    for target in (1, 200):
        for k in range(stored, target):
            await layer.call(request(f"Question number {k} about shipping to Peru"))
        stored = target
        times = []
        for _ in range(min(n, 500)):
            t0 = perf_counter_ns()
            result = await layer.call(para)
            times.append(perf_counter_ns() - t0)
            assert result.cache == "hit", result.cache
        print(line(f"semantic hit ({target} in scope)", times))
    await layer.clear()
    await layer.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--backends", default="memory,sqlite,redis")
    args = parser.parse_args()
    req = request("What is the return policy for online orders?")
    keys = []
    for _ in range(max(args.n, 1000)):
        t0 = perf_counter_ns()
        request_key(req)
        keys.append(perf_counter_ns() - t0)
    print("key (SHA-256 of the canonical request)")
    print(line("request_key", keys))
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        for name in args.backends.split(","):
            fields = {"strategy": "always", "backend": name}
            if name == "sqlite":
                fields["path"] = str(Path(tmp) / "bench.sqlite")
            if name == "redis":
                if redis_server_binary() is None:
                    print("redis: skipped (redis-server not installed)")
                    continue
                fields["url"] = stack.enter_context(local_redis())
            print(f"{name}")
            asyncio.run(measure(CacheConfig.model_validate(fields), args.n))


if __name__ == "__main__":
    main()
