"""Fixtures of the distributed tests: a real redis-server on loopback, scenario files, and
reading a saved run's requests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (a free port, a temp dir)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def shared_cache_scenario(tmp_path: Path, redis_url: str) -> Callable[[str], Path]:
    """A scenario whose answers are cached in the test's Redis, under ``namespace``: eight
    distinct queries, one closed-loop user per worker, fast simulated answers."""

    def write(namespace: str) -> Path:
        path = tmp_path / f"{namespace}.yaml"
        texts = "\n".join(f"      - What is fact number {i} about the ocean?" for i in range(8))
        path.write_text(
            textwrap.dedent("""\
            name: shared-cache
            providers:
              - name: sim
                kind: simulated
                models: [gpt-4o-mini]
                simulator:
                  latency:
                    ttft_ms: 15
                    itl_ms: 1
                    output_tokens: 5
            agents:
              - name: helper
                model: gpt-4o-mini
            queries:
              - agent: helper
                texts:
            {texts}
            cache:
              strategy: always
              backend: redis
              url: {url}
              namespace: {namespace}
            load:
              mode: closed
              concurrency: 2
              requests: 80
              warmup: 0
              seed: 3
            stream: true
            """).format(texts=texts, url=redis_url, namespace=namespace)
        )
        return path

    return write
