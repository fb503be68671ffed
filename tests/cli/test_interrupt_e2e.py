"""Ctrl-C during `raafperf bench` keeps what was measured so far."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_saves_the_partial_run_and_exits_130(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "raafperf",
            "bench",
            str(ROOT / "scenarios" / "quickstart.yaml"),
            "--requests",
            "100000",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until requests are flowing (the run folder exists and the simulator answers).
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("quickstart-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    run_dir = next(tmp_path.glob("quickstart-*"))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["interrupted"] is True
    saved = pd.read_parquet(run_dir / "requests.parquet")
    assert 0 < len(saved) == summary["variants"]["baseline"]["requests"]["total"] < 100_000
