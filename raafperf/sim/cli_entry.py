"""Entry points: ``raafperf simulate`` (via ``run_simulator``) and the child of SimulatorProcess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from raafperf.errors import ScenarioError, UsageError
from raafperf.sim.config import SimulatorConfig
from raafperf.sim.host import SimulatorServer
from raafperf.sim.server import SimulatedProviderSpec

READY_PREFIX = "RAAFPERF_SIM_READY "
FLUSHED_LINE = "RAAFPERF_SIM_FLUSHED"
DEFAULT_MODELS = [
    "gpt-4o-mini",
    "gpt-4o",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "text-embedding-3-small",
]


def load_config(path: Path) -> SimulatorConfig:
    """Read a YAML or JSON file of SimulatorConfig fields; errors name the file and field."""
    import yaml
    from pydantic import ValidationError

    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the simulator config: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            path=str(path),
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(raw, dict):
        raise ScenarioError("the simulator config must be a mapping", path=str(path))
    try:
        return SimulatorConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(first["msg"] + more, path=str(path), field=field) from exc


def _dedicated_process_tuning() -> None:
    """This process only serves: keep start-up objects (the tokenizer's 200k ranks, modules)
    out of every later garbage collection, so collections stay short on the hot path."""
    import gc

    gc.collect()
    gc.freeze()


def _run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


def run_simulator(
    config_path: Path | None,
    host: str = "127.0.0.1",
    port: int = 0,
    models: list[str] | None = None,
    seed: int = 0,
    ground_truth: Path | None = None,
    tls: bool = False,
    *,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve one simulated provider until Ctrl-C; prints the base URL (and CA file with TLS)."""
    config = load_config(config_path) if config_path else SimulatorConfig()
    if tls and not config.tls:
        config = config.model_copy(update={"tls": True})
    spec = SimulatedProviderSpec("simulator", list(models or []), config)

    async def main() -> None:
        server = SimulatorServer(
            [spec], seed=seed, ground_truth_dir=ground_truth, host=host, ports={"simulator": port}
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        endpoint = (await server.start())["simulator"]
        _dedicated_process_tuning()
        echo(
            f"simulator listening on {endpoint.base_url}  (OpenAI: {endpoint.base_url}/v1, "
            f"Anthropic: {endpoint.base_url})"
        )
        if endpoint.ca_cert_path:
            echo(f"TLS CA certificate: {endpoint.ca_cert_path}")
        served = ", ".join(spec.models) if spec.models else "any model name"
        echo(f"models: {served}; any API key is accepted. Ctrl-C stops.")
        try:
            await stop.wait()
        finally:
            await server.stop()
            if ground_truth:
                echo(f"ground truth written to {ground_truth}")

    _run(main)


def run_child() -> None:
    """Child of SimulatorProcess: spec on stdin, ready line on stdout, stop on stdin EOF."""
    spec = json.loads(sys.stdin.readline())
    if spec.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(spec["cpu"])})
    providers = [
        SimulatedProviderSpec(
            p["name"], list(p["models"]), SimulatorConfig.model_validate(p["config"])
        )
        for p in spec["providers"]
    ]
    gt = Path(spec["ground_truth_dir"]) if spec.get("ground_truth_dir") else None

    async def main() -> None:
        server = SimulatorServer(providers, seed=int(spec.get("seed") or 0), ground_truth_dir=gt)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)

        def flush() -> None:
            server.flush()
            sys.stdout.write(FLUSHED_LINE + "\n")
            sys.stdout.flush()

        def read_commands() -> None:
            # One command per line; end of input (the parent closed it or died) stops us.
            for line in sys.stdin:
                if line.strip() == "flush":
                    loop.call_soon_threadsafe(flush)
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=read_commands, daemon=True).start()
        endpoints = await server.start()
        _dedicated_process_tuning()
        ready = {
            name: {
                "base_url": e.base_url,
                "ca_cert_path": str(e.ca_cert_path) if e.ca_cert_path else None,
            }
            for name, e in endpoints.items()
        }
        sys.stdout.write(READY_PREFIX + json.dumps(ready) + "\n")
        sys.stdout.flush()
        try:
            await stop.wait()
        finally:
            await server.stop()

    _run(main)
