"""Fixtures of the distributed tests: a real redis-server on loopback, scenario files, and
reading a saved run's requests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from raafperf.cache.local_redis import local_redis, redis_server_binary

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (a free port, a temp dir), for the whole session."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with local_redis() as url:
        yield url


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
