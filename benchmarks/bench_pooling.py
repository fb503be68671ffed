"""Pool on vs pool off, straight through ProviderClient, with scenarios/pooling.yaml's settings.

The simulator (TLS, 200 ms per new connection) runs as a child process; each variant of the
scenario runs its closed loop (concurrency and request count from the file) through one
ProviderClient. Prints, per variant: mean/p50/p95/p99 end-to-end and TTFT, client CPU per
request, and the pool statistics; then the latency difference next to what the connection
cost predicts (cost × share of requests that opened a connection, plus TLS time).

    python benchmarks/bench_pooling.py
    python benchmarks/bench_pooling.py --scenario scenarios/pooling.yaml --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raafperf.client.provider import ProviderClient
from raafperf.client.types import ChatRequest
from raafperf.scenario.loader import load_scenario
from raafperf.scenario.model import Scenario
from raafperf.sim import SimulatedProviderSpec, SimulatorProcess


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def run_variant(
    scenario: Scenario, base_url: str, ca: str | None, requests: int, transport: str | None
) -> dict:
    provider = scenario.providers[0]
    if transport:
        client_config = provider.client.model_copy(update={"transport": transport})
        provider = provider.model_copy(update={"client": client_config})
    model = provider.models[0]
    texts = [t if isinstance(t, str) else t.text for qs in scenario.queries for t in qs.texts]
    concurrency = scenario.load.concurrency or 1
    e2e: list[float] = []
    ttft: list[float] = []
    errors = 0
    async with ProviderClient(provider, base_url=base_url, ca_file=ca) as client:
        issued = 0

        async def user() -> None:
            nonlocal issued, errors
            while issued < requests:
                text = texts[issued % len(texts)]
                issued += 1
                r = await client.call(
                    ChatRequest(model=model, messages=[{"role": "user", "content": text}])
                )
                if not r.ok:
                    errors += 1
                    continue
                e2e.append((r.end_ns - r.start_ns) / 1e6)
                if r.first_token_ns is not None:
                    ttft.append((r.first_token_ns - r.start_ns) / 1e6)

        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*[user() for _ in range(concurrency)])
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        stats = client.stats()
    return {
        "e2e": e2e,
        "ttft": ttft,
        "errors": errors,
        "cpu_ms": cpu / requests * 1e3,
        "rps": requests / wall,
        "pool": stats,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default=str(Path(__file__).parents[1] / "scenarios/pooling.yaml"))
    ap.add_argument("--requests", type=int, default=None, help="default: the scenario's")
    ap.add_argument(
        "--transport",
        choices=["auto", "httpx", "aiohttp"],
        default=None,
        help="override client.transport (httpx splits TLS time from connect)",
    )
    args = ap.parse_args()
    loaded = load_scenario(args.scenario)
    base = loaded.scenario.providers[0]
    spec = SimulatedProviderSpec(name=base.name, models=list(base.models), config=base.sim)
    results: dict[str, dict] = {}
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    with SimulatorProcess([spec], seed=1) as sim:
        ep = sim.endpoints[base.name]
        ca = str(ep.ca_cert_path) if ep.ca_cert_path else None
        for name, variant in loaded.variants.items():
            requests = args.requests or variant.load.requests or 200
            results[name] = run(run_variant(variant, ep.base_url, ca, requests, args.transport))

    print(
        f"{'variant':10s} {'req/s':>6s} {'e2e mean':>8s} {'p50':>6s} {'p95':>6s} {'p99':>6s}"
        f" {'ttft mean':>9s} {'CPU ms/req':>10s} {'conns':>5s} {'req/conn':>8s}"
        f" {'connect ms':>10s} {'tls ms':>7s} {'errors':>6s}"
    )
    for name, r in results.items():
        e2e, pool = r["e2e"], r["pool"]
        print(
            f"{name:10s} {r['rps']:6.1f} {sum(e2e) / len(e2e):8.1f} {nearest_rank(e2e, 50):6.1f}"
            f" {nearest_rank(e2e, 95):6.1f} {nearest_rank(e2e, 99):6.1f}"
            f" {sum(r['ttft']) / len(r['ttft']):9.1f} {r['cpu_ms']:10.2f}"
            f" {pool['connections_opened']:5d} {pool['requests_per_connection'] or 0:8.1f}"
            f" {pool['connect_ms_mean'] or 0:10.2f} {pool['tls_ms_mean'] or 0:7.2f}"
            f" {r['errors']:6d}"
        )
    if {"baseline", "pool_off"} <= results.keys():
        on, off = results["baseline"], results["pool_off"]
        cost = base.sim.connection_cost_ms
        share = (off["pool"]["connections_opened"] - on["pool"]["connections_opened"]) / max(
            1, off["pool"]["requests"]
        )
        connect = (off["pool"]["connect_ms_mean"] or 0) + (off["pool"]["tls_ms_mean"] or 0)
        measured = sum(off["e2e"]) / len(off["e2e"]) - sum(on["e2e"]) / len(on["e2e"])
        print(
            f"\nmean e2e saved by pooling: {measured:.1f} ms; predicted (connection cost {cost:g}"
            f" ms + connect/TLS {connect:.1f} ms) × {share:.0%} of requests that opened a"
            f" connection only without the pool = {(cost + connect) * share:.1f} ms"
        )


if __name__ == "__main__":
    main()
