"""`raafperf profile` end to end on the simulator, as a user runs it; the HTML in a browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def raafperf(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(HERE)}
    return subprocess.run(
        [sys.executable, "-m", "raafperf", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def quickstart(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("profile")
    proc = raafperf(
        "profile",
        "scenarios/quickstart.yaml",
        "--cpu",
        "--memory",
        "--requests",
        "30",
        "--top",
        "10",
        "--output-dir",
        str(out),
    )
    return proc, out


def _runs(out: Path) -> dict[str, dict]:
    found = {}
    for summary in out.glob("*/summary.json"):
        data = json.loads(summary.read_text())
        found[data.get("profile", {}).get("kind", "reference")] = data | {"_dir": summary.parent}
    return found


def test_profile_prints_tables_naming_raafperf_functions(quickstart) -> None:
    proc, _ = quickstart
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "Top functions by own time" in out
    assert "raafperf functions by total time" in out
    # raafperf's own call path is named: the agent runner and the provider client.
    assert "AgentRunner" in out and "raafperf/client/" in out
    assert "Top allocation sites at the peak" in out
    assert "memory per request in flight" in out
    assert "Overhead of the cpu profiler" in out and "Overhead of the memory profiler" in out
    assert "cpu_per_request_ms" in out


def test_profiles_land_next_to_their_run_and_are_listed(quickstart) -> None:
    proc, out = quickstart
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = _runs(out)
    assert set(runs) == {"reference", "cpu", "memory"}
    for kind, names in (
        ("cpu", ("cpu_html_baseline", "cpu_speedscope_baseline")),
        ("memory", ("memory_flamegraph_baseline", "memory_capture_baseline")),
    ):
        summary = runs[kind]
        for name in names:
            path = summary["_dir"] / summary["files"][name]
            assert path.is_file() and path.stat().st_size > 1000, path
        assert summary["files"]["requests"] == "requests.parquet"
        profile = summary["profile"]
        assert profile["reference_run"] == str(runs["reference"]["_dir"])
        ratio = profile["overhead"]["baseline"]["cpu_per_request_ms"]["ratio"]
        assert ratio is not None and ratio > 0
    cpu = runs["cpu"]["profile"]["variants"]["baseline"]
    assert any(row["location"].startswith("raafperf/") for row in cpu["top_total_own_package"])
    mem = runs["memory"]["profile"]["variants"]["baseline"]
    assert mem["peak_bytes"] > 0 and mem["top_at_peak"]
    assert mem["per_request"]["peak_in_flight"] >= 2
    speedscope = json.loads(
        (runs["cpu"]["_dir"] / runs["cpu"]["files"]["cpu_speedscope_baseline"]).read_text()
    )
    assert speedscope["profiles"]


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (apt-get install chromium)",
)
def test_html_reports_render_in_a_browser(quickstart, tmp_path: Path) -> None:
    proc, out = quickstart
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = _runs(out)
    pages = {
        "cpu": (runs["cpu"]["_dir"] / runs["cpu"]["files"]["cpu_html_baseline"], "AgentRunner"),
        "memory": (
            runs["memory"]["_dir"] / runs["memory"]["files"]["memory_flamegraph_baseline"],
            'class="frame"',
        ),
    }
    base = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=8000",
    ]
    for kind, (page, marker) in pages.items():
        shot = tmp_path / f"{kind}.png"
        subprocess.run(
            [*base, "--window-size=1280,900", f"--screenshot={shot}", page.as_uri()],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", kind
        assert shot.stat().st_size > 15_000, f"{kind}: the screenshot looks blank"
        dom = subprocess.run(
            [*base, "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        # The page's scripts ran offline and drew the report (more than the embedded data).
        assert dom.count(marker) > page.read_text().count(marker), kind


def test_allocation_heavy_tool_tops_the_memory_report(tmp_path: Path) -> None:
    # Arena-level tracking (the faster mode) is enough to see a tool this heavy.
    proc = raafperf(
        "profile",
        str(HERE / "heavy_tool.yaml"),
        "--memory",
        "--no-overhead",
        "--no-trace-python-allocators",
        "--top",
        "5",
        "--output-dir",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(next(tmp_path.glob("*/summary.json")).read_text())
    mem = summary["profile"]["variants"]["baseline"]
    top = mem["top_at_peak"][0]
    assert top["site"] == "heavy_tool:build_index", mem["top_at_peak"]
    assert top["bytes"] > 0.5 * mem["peak_bytes"]
    assert mem["top_allocated"][0]["location"].startswith("heavy_tool.py:")
    assert "build_index" in proc.stdout


def test_unknown_variant_is_a_usage_error(tmp_path: Path) -> None:
    proc = raafperf(
        "profile", "scenarios/quickstart.yaml", "--variant", "nope", "--output-dir", str(tmp_path)
    )
    assert proc.returncode == 2
    assert "no variant named 'nope'" in proc.stderr
