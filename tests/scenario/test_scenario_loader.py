"""Scenario files: valid ones load; each broken one gives file, line and field, exit 2."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from raafperf.errors import ScenarioError
from raafperf.scenario.loader import build_query_pool, load_scenario

MINIMAL = """\
name: t
providers:
  - name: sim
    kind: simulated
    models: [m1]
agents:
  - name: a
    model: m1
queries:
  - agent: a
    texts: [hello, world]
load:
  mode: closed
  concurrency: 2
  requests: 10
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_minimal_scenario_loads_with_defaults(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, MINIMAL))
    s = loaded.scenario
    assert s.stream is True
    assert s.load.warmup == 0
    assert s.providers[0].api_name == "openai"
    assert list(loaded.variants) == ["baseline"]


def test_query_files_are_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "a.txt").write_text("one\n\ntwo\n")
    (tmp_path / "q" / "b.jsonl").write_text(
        '{"text": "three", "context": {"user": "u1"}}\n"four"\n'
    )
    text = MINIMAL.replace(
        "    texts: [hello, world]",
        "    file: q/a.txt\n    repeat: 2\n  - agent: a\n    file: q/b.jsonl\n    weight: 3",
    )
    path = write(tmp_path, text)
    loaded = load_scenario(path)
    pool = build_query_pool(loaded, loaded.scenario)
    texts = [q.item.text for q in pool]
    assert texts.count("one") == 2 and texts.count("two") == 2
    assert {"three", "four"} <= set(texts)
    assert next(q for q in pool if q.item.text == "three").item.context == {"user": "u1"}
    # Set weights: the .jsonl set carries 3/4 of the draws.
    share = sum(q.weight for q in pool if q.item.text in ("three", "four"))
    assert share == pytest.approx(3.0)


def test_variants_deep_merge_providers_by_name(tmp_path: Path) -> None:
    text = (
        MINIMAL + "variants:\n  pool_off:\n    providers:\n      sim:\n        client:\n"
        "          pool: false\n"
    )
    loaded = load_scenario(write(tmp_path, text))
    assert loaded.variants["baseline"].providers[0].client.pool is True
    assert loaded.variants["pool_off"].providers[0].client.pool is False


def test_profiles_apply_before_variants(tmp_path: Path) -> None:
    text = MINIMAL + "profiles:\n  ci:\n    load:\n      requests: 3\n"
    assert load_scenario(write(tmp_path, text), profile="ci").scenario.load.requests == 3
    with pytest.raises(ScenarioError, match="no profile named 'prod'"):
        load_scenario(write(tmp_path, text), profile="prod")


BROKEN = {
    "bad_yaml": ("name: t\nproviders: [\n  - a\n", 3, "invalid YAML"),
    "unknown_key": (
        MINIMAL.replace("  requests: 10", "  requests: 10\n  bogus: 1"),
        16,
        "load.bogus: unknown key",
    ),
    "wrong_type": (
        MINIMAL.replace("concurrency: 2", "concurrency: two"),
        14,
        "load.concurrency: Input should be a valid integer",
    ),
    "missing_file": (
        MINIMAL.replace("texts: [hello, world]", "file: nope.txt"),
        11,
        "queries[0].file: query file not found",
    ),
    "negative_rate": (
        MINIMAL.replace("mode: closed\n  concurrency: 2", "mode: open\n  rate: -1"),
        14,
        "load.rate: Input should be greater than 0",
    ),
    "unknown_agent": (MINIMAL.replace("  - agent: a", "  - agent: zz"), None, "no agent named"),
    "bad_threshold": (
        MINIMAL + "thresholds:\n  p95_ttfx_ms: 3\n",
        17,
        "thresholds.p95_ttfx_ms: unknown threshold",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_scenarios_name_file_line_and_field(tmp_path: Path, case: str) -> None:
    text, line, fragment = BROKEN[case]
    path = write(tmp_path, text, f"{case}.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    if line is not None:
        assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message


def test_check_command_exits_2_with_one_line(tmp_path: Path) -> None:
    text, _line, _ = BROKEN["unknown_key"]
    path = write(tmp_path, text)
    proc = subprocess.run(
        [sys.executable, "-m", "raafperf.cli", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "load.bogus: unknown key" in lines[0]
    assert "Traceback" not in proc.stderr
