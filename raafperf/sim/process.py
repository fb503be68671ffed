"""The simulator in a child process, so its CPU is apart from the load generator's."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import raafperf
from raafperf.errors import RunFailed, UsageError
from raafperf.sim.host import SimulatorEndpoint
from raafperf.sim.server import SimulatedProviderSpec

__all__ = ["SimulatedProviderSpec", "SimulatorEndpoint", "SimulatorProcess"]

import contextlib

from raafperf.sim.cli_entry import FLUSHED_LINE, READY_PREFIX


class SimulatorProcess:
    """Runs one child process (``python -m raafperf.sim --child``) hosting several providers.

    Each provider listens on its own free port of 127.0.0.1. ``stop()`` closes the child's
    stdin, which makes it stop listening, write its ground truth and exit; it is killed if
    it has not exited in time. The child also exits if this process dies (stdin closes).
    """

    def __init__(
        self,
        providers: Sequence[SimulatedProviderSpec],
        *,
        seed: int = 0,
        ground_truth_dir: Path | None = None,
        cpu: int | None = None,
        python: str | None = None,
    ) -> None:
        self.providers = list(providers)
        names = [p.name for p in self.providers]
        if len(set(names)) != len(names):
            raise UsageError(f"simulated provider names must be unique: {names}")
        self.seed = seed
        self.ground_truth_dir = Path(ground_truth_dir) if ground_truth_dir else None
        self.cpu = cpu
        self._python = python or sys.executable
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.endpoints: dict[str, SimulatorEndpoint] = {}

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 20) -> dict[str, SimulatorEndpoint]:
        """Start the child and wait for its ready line; returns the endpoints by provider."""
        if self._proc is not None:
            raise RunFailed("the simulator is already running")
        spec = {
            "providers": [
                {
                    "name": p.name,
                    "models": list(p.models),
                    "config": p.config.model_dump(mode="json"),
                }
                for p in self.providers
            ],
            "seed": self.seed,
            "ground_truth_dir": str(self.ground_truth_dir) if self.ground_truth_dir else None,
            "cpu": self.cpu,
        }
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115  (kept until stop)
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        # The child must import this very raafperf, installed or not.
        package_root = str(Path(raafperf.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        try:
            self._proc = subprocess.Popen(
                [self._python, "-m", "raafperf.sim", "--child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                env=env,
                # Its own session: the terminal's Ctrl-C goes to raafperf, which then stops
                # the simulator after the load has stopped (it also stops when stdin closes).
                start_new_session=True,
            )
        except OSError as exc:
            self._cleanup()
            raise RunFailed(f"cannot start the simulator ({self._python}): {exc}") from exc
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(spec) + "\n")
        self._proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort()
                raise RunFailed(f"the simulator did not start within {timeout:g} s")
            ready, _, _ = select.select([self._proc.stdout], [], [], remaining)
            if not ready:
                continue
            line = self._proc.stdout.readline()
            if not line:
                why = self._stderr_tail()
                self._abort()
                raise RunFailed(f"the simulator exited before it was ready: {why}")
            if line.startswith(READY_PREFIX):
                ready_map = json.loads(line[len(READY_PREFIX) :])
                break
        self.endpoints = {
            name: SimulatorEndpoint(
                name,
                info["base_url"],
                Path(info["ca_cert_path"]) if info.get("ca_cert_path") else None,
            )
            for name, info in ready_map.items()
        }
        return self.endpoints

    def flush_ground_truth(self, timeout: float = 10) -> None:
        """Have the running child write the ground truth gathered so far."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise RunFailed("the simulator is not running")
        proc.stdin.write("flush\n")
        proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([proc.stdout], [], [], remaining)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    raise RunFailed(f"the simulator exited: {self._stderr_tail()}")
                if line.strip() == FLUSHED_LINE:
                    return
        raise RunFailed(f"the simulator did not write its ground truth within {timeout:g} s")

    def stop(self, timeout: float = 10) -> None:
        """Stop gracefully (the ground truth is written), killing the child after ``timeout``."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._cleanup()

    def _abort(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._proc is not None:
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            if self._proc is not None:
                self._proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self._stderr.seek(0)
        lines = self._stderr.read().strip().splitlines()
        return lines[-1] if lines else "(no message)"

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
