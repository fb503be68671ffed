"""The generator's ceiling on this machine, against the built-in zero-latency simulator."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from raafperf.record.machine import machine_info


def calibrate_machine(
    tmp: Path, levels: list[int], *, requests: int, tokens: int, workers: int | None, stream: bool
) -> dict[str, Any]:
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.scenario.loader import load_scenario

    steps = []
    used_workers = 1
    for level in levels:
        path = tmp / f"calibrate-{level}.yaml"
        path.write_text(
            textwrap.dedent(f"""\
            name: calibrate
            providers:
              - name: sim
                kind: simulated
                models: [m]
                simulator: {{latency: {{ttft_ms: 0, itl_ms: 0, output_tokens: {tokens}}}}}
                client: {{max_connections: {level + 8}}}
            agents: [{{name: a, model: m}}]
            queries: [{{agent: a, texts: ["calibrate"]}}]
            load: {{mode: closed, concurrency: {level}, requests: {requests},
                   warmup: {min(requests // 10, 200)}}}
            stream: {str(stream).lower()}
            """)
        )
        outcome = run_bench(load_scenario(path), BenchOptions(out_root=tmp, workers=workers))
        used_workers = outcome.summary.get("workers", 1)
        v = outcome.summary["variants"]["baseline"]
        gen = v["generator"]
        steps.append(
            {
                "concurrency": level,
                "requests_per_s": v["throughput"]["requests_per_s"],
                "tokens_per_s": v["throughput"]["output_tokens_per_s"],
                "cpu_share": gen["cpu_share"],
                "loop_lag_p99_ms": (gen.get("event_loop_lag_ms") or {}).get("p99") or 0.0,
                "ttft_p50_ms": v["latency_ms"]["ttft"]["p50"] or 0.0,
                "errors": v["requests"]["errors"],
            }
        )
    best = max(steps, key=lambda s: s["requests_per_s"]) if steps else None
    return {
        "machine": machine_info(),
        "workers": used_workers,
        "steps": steps,
        "ceiling_rps": best["requests_per_s"] if best else 0.0,
        "ceiling_concurrency": best["concurrency"] if best else None,
    }
