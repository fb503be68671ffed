"""Capacity of the built-in simulator on one core.

The simulator runs as SimulatorProcess pinned to one CPU; the load comes from another
process pinned to another CPU (an aiohttp client, or a raw asyncio client that costs less
per request, to show what the server itself can take). Closed loop, zero latency unless
--itl-ms is given. Prints requests/s, tokens/s, and the server's CPU use: a server below
100 % of its core was not the bottleneck.

    python benchmarks/bench_simulator.py                       # the default matrix
    python benchmarks/bench_simulator.py --concurrency 100 --mode stream --client raw
    python benchmarks/bench_simulator.py --itl-ms 10 --ttft-ms 50 --concurrency 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raafperf.sim import (
    LatencyModel,
    SimulatedProviderSpec,
    SimulatorConfig,
    SimulatorProcess,
    read_ground_truth,
)

MODEL = "gpt-4o-mini"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "Benchmark the simulator."}]}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _aiohttp_load(url: str, stream: bool, concurrency: int, duration: float) -> dict:
    import aiohttp

    body = json.dumps({**BODY, "stream": stream}).encode()
    headers = {"authorization": "Bearer bench", "content-type": "application/json"}
    done = tokens = errors = 0
    stop_at = time.perf_counter() + duration

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done, tokens, errors
        while time.perf_counter() < stop_at:
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    if stream:
                        n = 0
                        async for line in resp.content:
                            if line.startswith(b'data: {"id"') and b'"content":"' in line:
                                n += 1
                        tokens += n - 1  # the role chunk carries content "" too
                    else:
                        data = await resp.json()
                        tokens += data["usage"]["completion_tokens"]
                    done += resp.status == 200
                    errors += resp.status != 200
            except aiohttp.ClientError:
                errors += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"requests": done, "tokens": tokens, "errors": errors, "seconds": elapsed}


class _RawClient(asyncio.Protocol):
    """Keep-alive HTTP/1.1 client that only finds where each response ends."""

    def __init__(self, request: bytes, stream: bool, stop_at: float, stats: dict) -> None:
        self.request, self.stream, self.stop_at, self.stats = request, stream, stop_at, stats
        self.buf = bytearray()
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.stream:
            if not self.buf.endswith(b"0\r\n\r\n"):
                return
            self.stats["tokens"] += self.buf.count(b'{"content":"')
        else:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = int(self.buf[:head_end].lower().split(b"content-length: ")[1].split(b"\r")[0])
            if len(self.buf) < head_end + 4 + length:
                return
            self.stats["tokens"] += 16
        self.stats["requests"] += 1
        self.buf.clear()
        if time.perf_counter() < self.stop_at:
            self.transport.write(self.request)  # type: ignore[attr-defined]
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def _raw_load(url: str, stream: bool, concurrency: int, duration: float) -> dict:
    host, port = url.split("//")[1].split("/")[0].split(":")
    body = json.dumps({**BODY, "stream": stream}).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: %b\r\nauthorization: Bearer bench\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%b"
        % (host.encode(), len(body), body)
    )
    stats = {"requests": 0, "tokens": 0, "errors": 0}
    loop = asyncio.get_running_loop()
    stop_at = time.perf_counter() + duration
    started = time.perf_counter()
    protos = []
    for _ in range(concurrency):
        _, proto = await loop.create_connection(
            lambda: _RawClient(request, stream, stop_at, stats), host, int(port)
        )
        protos.append(proto)
    await asyncio.gather(*(p.closed for p in protos))
    stats["seconds"] = time.perf_counter() - started
    return stats


def _client_main(
    kind: str,
    url: str,
    stream: bool,
    concurrency: int,
    duration: float,
    cpu: int | None,
    queue: mp.Queue,
) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    import uvloop

    load = _raw_load if kind == "raw" else _aiohttp_load
    queue.put(uvloop.run(load(url, stream, concurrency, duration)))


def run_case(args: argparse.Namespace, mode: str, concurrency: int, client: str) -> dict:
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) > 1 and not args.no_pin
    server_cpu = cpus[0] if pin else None
    client_cpu = cpus[1] if pin else None
    latency = LatencyModel(ttft_ms=args.ttft_ms, itl_ms=args.itl_ms, output_tokens=16)
    spec = SimulatedProviderSpec("bench", [MODEL], SimulatorConfig(latency=latency))
    with tempfile.TemporaryDirectory() as tmp:
        gt = Path(tmp) if args.ground_truth else None
        sim = SimulatorProcess([spec], ground_truth_dir=gt, cpu=server_cpu)
        url = sim.start()["bench"].base_url + "/v1/chat/completions"
        ctx = mp.get_context("spawn")
        queue: mp.Queue = ctx.Queue()
        proc = ctx.Process(
            target=_client_main,
            args=(client, url, mode == "stream", concurrency, args.duration, client_cpu, queue),
        )
        proc.start()
        # Measure the server's CPU over the client's own run only.
        time.sleep(0.5)
        cpu0, t0 = _cpu_seconds(sim.pid or 0), time.perf_counter()
        time.sleep(max(0.1, args.duration - 1.0))
        cpu1, t1 = _cpu_seconds(sim.pid or 0), time.perf_counter()
        result = queue.get()
        proc.join()
        sim.stop()
        result["server_cpu"] = (cpu1 - cpu0) / (t1 - t0)
        if gt is not None:
            result["lateness_ms"] = _lateness(gt / "bench.groundtruth.jsonl")
    return result


def _lateness(path: Path) -> tuple[float, float] | None:
    """p50 and p99 of (token sent - token due), from the ground truth."""
    late = sorted(
        (sent - due) / 1e6
        for rec in read_ground_truth(path)
        for sent, due in zip(rec["token_ns"], rec["due_ns"], strict=False)
    )
    if not late:
        return None
    return statistics.median(late), late[int(len(late) * 0.99)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[100, 500])
    parser.add_argument(
        "--mode", choices=["stream", "plain"], nargs="+", default=["stream", "plain"]
    )
    parser.add_argument(
        "--client", choices=["aiohttp", "raw"], nargs="+", default=["aiohttp", "raw"]
    )
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--itl-ms", type=float, default=0.0)
    parser.add_argument(
        "--no-pin", action="store_true", help="let the OS place server and client (busy machine)"
    )
    parser.add_argument(
        "--ground-truth", action="store_true", help="also log ground truth and report send lateness"
    )
    args = parser.parse_args()
    print(
        f"simulator capacity: 16 output tokens, ttft {args.ttft_ms} ms, itl {args.itl_ms} ms, "
        f"{args.duration:g} s per case, cpus {sorted(os.sched_getaffinity(0))}"
    )
    print(
        f"{'mode':7} {'client':8} {'conc':>5} {'req/s':>8} {'tokens/s':>9} {'errors':>6} "
        f"{'server cpu':>10} {'cpu µs/req':>10} {'req/s per core':>14}  lateness p50/p99 ms"
    )
    for mode in args.mode:
        for client in args.client:
            for conc in args.concurrency:
                r = run_case(args, mode, conc, client)
                late = r.get("lateness_ms")
                late_txt = f"{late[0]:.2f}/{late[1]:.2f}" if late else "-"
                rate = r["requests"] / r["seconds"]
                # CPU time per request holds even when a busy machine starves the server;
                # its inverse is what one whole core would serve.
                per_req = r["server_cpu"] / rate * 1e6 if rate else float("nan")
                print(
                    f"{mode:7} {client:8} {conc:>5} {rate:>8.0f} "
                    f"{r['tokens'] / r['seconds']:>9.0f} {r['errors']:>6} "
                    f"{r['server_cpu']:>9.0%} {per_req:>10.0f} {1e6 / per_req:>14.0f}  {late_txt}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
