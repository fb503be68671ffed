"""``python -m raafperf.sim`` (what ``raafperf simulate`` runs): serve, answer, stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

import raafperf

ROOT = Path(raafperf.__file__).resolve().parents[1]


def test_serves_with_tls_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "raafperf.sim",
            "--port",
            "0",
            "--tls",
            "--model",
            "gpt-4o-mini",
            "--ground-truth",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        listening = proc.stdout.readline()
        ca_line = proc.stdout.readline()
        assert listening.startswith("simulator listening on https://127.0.0.1:")
        base_url = listening.split()[3]
        ca = ca_line.split(": ", 1)[1].strip()
        r = httpx.post(
            base_url + "/v1/chat/completions",
            verify=ssl.create_default_context(cafile=ca),
            headers={"authorization": "Bearer k"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert r.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len((tmp_path / "simulator.groundtruth.jsonl").read_text().splitlines()) == 1


def test_bad_config_file_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "sim.yaml"
    config.write_text("latency:\n  ttft_ms: -5\n")
    done = subprocess.run(
        [sys.executable, "-m", "raafperf.sim", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "sim.yaml: latency.ttft_ms" in done.stderr
    assert "Traceback" not in done.stderr
