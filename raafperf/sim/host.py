"""Hosting several simulated providers in one event loop, each on its own port."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from raafperf.errors import UsageError
from raafperf.sim.http1 import Connection
from raafperf.sim.server import ProviderRuntime, SimulatedProviderSpec

FLUSH_INTERVAL_S = 1.0


@dataclass(frozen=True)
class SimulatorEndpoint:
    """Where a simulated provider listens. Clients append /v1/chat/completions etc."""

    name: str
    base_url: str
    ca_cert_path: Path | None = None


class SimulatorServer:
    """The simulator inside the current event loop (tests, or the child process).

    ``async with SimulatorServer(specs) as sim: sim.endpoints["name"].base_url`` serves until
    the block ends.
    """

    def __init__(
        self,
        providers: Sequence[SimulatedProviderSpec] | SimulatedProviderSpec,
        *,
        seed: int = 0,
        ground_truth_dir: Path | None = None,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        tls_dir: Path | None = None,
    ) -> None:
        specs = [providers] if isinstance(providers, SimulatedProviderSpec) else list(providers)
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise UsageError(f"simulated provider names must be unique: {names}")
        self.runtimes = [
            ProviderRuntime(s, seed=seed, ground_truth_dir=ground_truth_dir) for s in specs
        ]
        self._host = host
        self._ports = dict(ports or {})
        self._tls_dir = tls_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._connections: set[Connection] = set()
        self._flusher: asyncio.Task[None] | None = None
        self.endpoints: dict[str, SimulatorEndpoint] = {}

    async def start(self) -> dict[str, SimulatorEndpoint]:
        from raafperf.sim import text

        text.warm_up()
        loop = asyncio.get_running_loop()
        tls = None
        if any(r.spec.config.tls for r in self.runtimes):
            from raafperf.sim.tls import LoopbackTLS

            if self._tls_dir is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="raafperf-sim-")
                self._tls_dir = Path(self._tmp.name)
            tls = LoopbackTLS(self._tls_dir)
        for runtime in self.runtimes:
            use_tls = runtime.spec.config.tls and tls is not None
            try:
                server = await loop.create_server(
                    lambda rt=runtime: self._track(rt),
                    self._host,
                    self._ports.get(runtime.spec.name, 0),
                    ssl=tls.server_context() if use_tls and tls else None,
                    backlog=2048,
                )
            except OSError as exc:
                await self.stop()
                raise UsageError(f"cannot listen for {runtime.spec.name}: {exc}") from exc
            self._servers.append(server)
            port = server.sockets[0].getsockname()[1]
            scheme = "https" if use_tls else "http"
            host = f"[{self._host}]" if ":" in self._host else self._host
            self.endpoints[runtime.spec.name] = SimulatorEndpoint(
                runtime.spec.name,
                f"{scheme}://{host}:{port}",
                tls.ca_cert_path if use_tls and tls else None,
            )
        if any(r.log.enabled for r in self.runtimes):
            self._flusher = loop.create_task(self._flush_periodically())
        return self.endpoints

    def _track(self, runtime: ProviderRuntime) -> Connection:
        conn = Connection(runtime.handle, self._connections.discard)
        self._connections.add(conn)
        return conn

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            for runtime in self.runtimes:
                await runtime.log.flush_gently()

    async def stop(self) -> None:
        """Stop listening, drop open connections, write the ground truth."""
        for server in self._servers:
            server.close()
        tasks = [c.task for c in self._connections if c.task is not None]
        for conn in list(self._connections):
            if conn.transport is not None:
                conn.transport.abort()
            conn.connection_lost(None)
        for task in tasks:
            task.cancel()
        # handlers record what happened as they unwind
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        for runtime in self.runtimes:
            runtime.log.flush()
        self._servers.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def flush(self) -> None:
        """Write the ground truth gathered so far."""
        for runtime in self.runtimes:
            runtime.log.flush()

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
