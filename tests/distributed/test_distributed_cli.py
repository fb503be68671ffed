"""``--ray`` where Ray is not installed: one clear line and exit 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from distributed_testkit import QUICKSTART


@pytest.mark.parametrize(
    "args",
    [
        ["bench", str(QUICKSTART), "--requests", "5", "--ray"],
        ["bench", "--ray", str(QUICKSTART)],
        ["bench", str(QUICKSTART), "--ray", "head.example:6379"],
    ],
)
def test_ray_without_ray_says_how_to_install_it(tmp_path: Path, args: list[str]) -> None:
    # A 'ray' that cannot be imported shadows any installed one.
    fake = tmp_path / "ray"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "raafperf", *args, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'raafperf[ray]'" in lines[0], proc.stderr
    assert not list(tmp_path.glob("quickstart-*")), "no run was started"


def test_ray_address_where_nothing_listens_fails_at_once(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'raafperf[ray]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "raafperf",
            "bench",
            str(QUICKSTART),
            "--ray",
            f"127.0.0.1:{port}",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "nothing answers there" in proc.stderr and "ray start --head" in proc.stderr
    assert not list(tmp_path.iterdir()), "no run folder for a run that never started"
