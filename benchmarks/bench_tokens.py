"""How fast raafperf counts tokens (prints figures; asserts nothing).

    python benchmarks/bench_tokens.py [--repeat N]

Measures: the first load of each encoding, ``count_text`` on short, medium and long texts
(exact o200k/cl100k and the chars/4 fallback), ``count_messages`` on an agent-sized request
with tools, and bpe-openai's tiktoken-compatible ``encode_ordinary`` for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

WORDS = [
    "the", "agent", "calls", "a", "model", "and", "a", "tool", "then", "answers", "with",
    "latency", "cost", "tokens", "cache", "router", "provider", "pool", "request", "response",
    "stream", "budget", "price", "throughput", "percentile", "user", "weather", "paris",
    "london", "tokyo", "forecast", "temperature", "error", "retry", "backoff", "circuit",
    "breaker", "fallback",
]  # fmt: skip


CODE = """
async def handle(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body.get("messages"), list):
        return json_error(400, "'messages' must be a non-empty array")
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    for attempt in range(1, 4):
        try:
            return await upstream.post("/v1/chat/completions", json=body, timeout=30.0)
        except (TimeoutError, ConnectionResetError) as exc:  # retry with backoff
            await asyncio.sleep(min(2 ** attempt * 0.1, 2.0))
    return {"error": {"type": "server_error", "code": 503, "key": key, "ratio": 0.95}}
"""


def corpus(chars: int, seed: int = 0) -> str:
    """English-like words mixed with pieces of Python code, the same on every run."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < chars:
        if rng.random() < 0.7:
            piece = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30))) + ". "
        else:
            start = rng.randrange(len(CODE) - 100)
            piece = CODE[start : start + rng.randint(50, 300)]
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:chars]


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over ``repeat`` timed batches (the machine is noisy)."""
    n = 1
    while True:  # size a batch to ~20 ms
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t > 0.02:
            break
        n *= 2
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    t = time.perf_counter()
    from raafperf.cost import tokens

    print(f"import raafperf.cost.tokens: {(time.perf_counter() - t) * 1e3:.1f} ms")
    for enc in (tokens.O200K, tokens.CL100K):
        t = time.perf_counter()
        tokens.tokenizer(enc)
        print(f"first load of {enc}: {(time.perf_counter() - t) * 1e3:.0f} ms")

    import bpe_openai

    reference = {
        "gpt-4o": bpe_openai.get_encoding(tokens.O200K),
        "gpt-4": bpe_openai.get_encoding(tokens.CL100K),
    }
    print()
    print(f"{'what':44} {'chars':>8} {'tokens':>7} {'µs/call':>10} {'Mchar/s':>8} {'Mtok/s':>7}")
    for chars in (60, 2_000, 100_000):
        text = corpus(chars)
        for model in ("gpt-4o", "gpt-4", "claude-sonnet-4-5"):
            n, exact = tokens.count_text(text, model)
            s = per_call(lambda t=text, m=model: tokens.count_text(t, m), args.repeat)
            label = f"count_text {model}{'' if exact else ' (chars/4)'}"
            print(f"{label:44} {chars:>8,} {n:>7,} {s * 1e6:>10.2f} "
                  f"{chars / s / 1e6:>8.1f} {n / s / 1e6:>7.2f}")  # fmt: skip
            if model in reference:
                enc = reference[model]
                s = per_call(lambda t=text, e=enc: len(e.encode_ordinary(t)), args.repeat)
                label = f"  bpe-openai encode_ordinary {model}"
                print(f"{label:44} {chars:>8,} {n:>7,} {s * 1e6:>10.2f} "
                      f"{chars / s / 1e6:>8.1f} {n / s / 1e6:>7.2f}")  # fmt: skip

    tools = [
        {"type": "function", "function": {
            "name": f"tool_{i}", "description": "Look something up for the user.",
            "parameters": {"type": "object", "properties": {
                "query": {"type": "string", "description": "What to look up"},
                "unit": {"type": "string", "enum": ["metric", "imperial"]}}}}}
        for i in range(4)
    ]  # fmt: skip
    messages = [{"role": "system", "content": corpus(1_500, seed=1)}]
    for turn in range(4):
        messages.append({"role": "user", "content": corpus(300, seed=10 + turn)})
        messages.append({"role": "assistant", "content": corpus(600, seed=20 + turn)})
    print()
    for model in ("gpt-4o", "claude-sonnet-4-5"):
        n, exact = tokens.count_messages(messages, model, tools)
        s = per_call(lambda m=model: tokens.count_messages(messages, m, tools), args.repeat)
        print(f"count_messages {model}: 9 messages + 4 tools = {n:,} tokens "
              f"(exact={exact}): {s * 1e6:.1f} µs/call")  # fmt: skip

    from raafperf.cost.prices import PriceTable

    table = PriceTable.load()
    table.cost("openai/gpt-4o-mini-2024-07-18", 1, 1)  # the first lookup resolves and memoises
    s = per_call(lambda: table.cost("openai/gpt-4o-mini-2024-07-18", 1200, 300, 400), args.repeat)
    print(f"PriceTable.cost per model call (the engine's hot path): {s * 1e9:.0f} ns")


if __name__ == "__main__":
    main()
