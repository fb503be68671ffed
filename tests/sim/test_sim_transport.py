"""TLS with the generated CA, connection cost per new connection, the process runner."""

from __future__ import annotations

import ssl
import time

import httpx
import openai
import pytest

from raafperf.errors import RunFailed, UsageError
from raafperf.sim import SimulatedProviderSpec, SimulatorConfig, SimulatorProcess

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": "Bearer k"}


def test_tls_with_the_generated_ca(endpoints) -> None:
    ep = endpoints["tls"]
    assert ep.base_url.startswith("https://127.0.0.1:")
    assert ep.ca_cert_path is not None and ep.ca_cert_path.exists()
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ep.ca_cert_path))) as c:
        assert (
            c.post(ep.base_url + "/v1/chat/completions", json=BODY, headers=AUTH).status_code == 200
        )
    localhost = ep.base_url.replace("127.0.0.1", "localhost")
    http = httpx.Client(verify=ssl.create_default_context(cafile=str(ep.ca_cert_path)))
    client = openai.OpenAI(base_url=localhost + "/v1", api_key="k", http_client=http)
    assert client.chat.completions.create(**BODY).choices[0].message.content
    with pytest.raises(httpx.ConnectError):  # not trusted without the CA
        httpx.post(ep.base_url + "/v1/chat/completions", json=BODY, headers=AUTH)


def test_connection_cost_is_paid_once_per_connection(endpoints) -> None:
    url = endpoints["costly"].base_url + "/v1/chat/completions"  # 150 ms per new connection

    def timed(client: httpx.Client) -> float:
        started = time.perf_counter()
        assert client.post(url, json=BODY, headers=AUTH).status_code == 200
        return time.perf_counter() - started

    with httpx.Client() as client:
        first, second, third = timed(client), timed(client), timed(client)
    with httpx.Client() as fresh:
        again = timed(fresh)
    assert first > 0.14 and again > 0.14
    assert second < 0.1 and third < 0.1


def test_process_reports_a_child_that_cannot_start(tmp_path) -> None:
    spec = SimulatedProviderSpec("x", [], SimulatorConfig())
    broken = SimulatorProcess([spec], python=str(tmp_path / "no-python"))
    with pytest.raises(RunFailed, match="cannot start"):
        broken.start(timeout=5)
    with pytest.raises(UsageError, match="unique"):
        SimulatorProcess([spec, spec])
    bad_dir = tmp_path / "file"
    bad_dir.write_text("not a directory")
    with pytest.raises(RunFailed, match="exited before it was ready"):
        SimulatorProcess([spec], ground_truth_dir=bad_dir / "x").start(timeout=10)


def test_process_stops_and_frees_its_ports() -> None:
    sim = SimulatorProcess(
        [
            SimulatedProviderSpec("a", [], SimulatorConfig()),
            SimulatedProviderSpec("b", [], SimulatorConfig()),
        ]
    )
    endpoints = sim.start()
    assert endpoints["a"].base_url != endpoints["b"].base_url
    assert httpx.get(endpoints["b"].base_url + "/v1/models", headers=AUTH).status_code == 200
    sim.stop()
    assert sim.pid is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(endpoints["a"].base_url + "/v1/models", headers=AUTH)
