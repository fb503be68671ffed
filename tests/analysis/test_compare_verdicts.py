"""compare_runs on synthetic saved runs: A/A, a 30% slowdown, small samples, the gate."""

from __future__ import annotations

import math

import pytest

from raafperf.analysis.bootstrap import Interval
from raafperf.analysis.compare import Comparison, check_gate, compare_runs, judge
from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.analysis.thresholds import Threshold
from raafperf.errors import ThresholdFailed, UsageError
from raafperf.record.store import SavedRun, load_run

FAST = {"resamples": 1000, "plots": False}
LATENCY = ("p50_ttft", "p95_ttft", "p50_e2e", "p95_e2e", "p50_itl", "p95_itl", "p99_itl")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SavedRun]:
    root = tmp_path_factory.mktemp("runs")
    made = {f"aa{seed}": write_synthetic_run(root, n=2000, seed=seed) for seed in range(1, 9)}
    made["slow"] = write_synthetic_run(root, n=2000, seed=20, slowdown=1.3)
    made["errors"] = write_synthetic_run(root, n=2000, seed=21, error_rate=0.05)
    made["small_a"] = write_synthetic_run(root, n=100, seed=30)
    made["small_b"] = write_synthetic_run(root, n=100, seed=31, slowdown=1.3)
    made["gated"] = write_synthetic_run(
        root, n=2000, seed=22, slowdown=1.3, gate={"latency": "50%", "throughput": "50%"}
    )
    made["other"] = write_synthetic_run(root, name="other", n=300, seed=23)
    made["variants"] = write_synthetic_run(
        root, n=1200, seed=24, variants={"pooled": 0.7}, folder="variants-a"
    )
    made["variants2"] = write_synthetic_run(
        root, n=1200, seed=25, variants={"pooled": 1.0}, folder="variants-b"
    )
    # Loaded once: a SavedRun keeps its tables, so each comparison skips the parquet reads.
    return {key: load_run(path) for key, path in made.items()}


def verdicts(c: Comparison) -> dict[str, str]:
    return {m.name: m.verdict for m in c.metrics}


@pytest.mark.parametrize(("a", "b"), [(1, 2), (3, 4), (5, 6), (7, 8)])
def test_aa_runs_are_never_a_regression(runs: dict[str, SavedRun], a: int, b: int) -> None:
    c = compare_runs(runs[f"aa{a}"], runs[f"aa{b}"], seed=a)
    assert set(verdicts(c).values()) <= {"unchanged", "inconclusive"}, verdicts(c)
    assert not c.failed()
    check_gate(c)  # does not raise
    # With 2,000 requests a side the bulk metrics are judged, not shrugged off.
    assert verdicts(c)["p50_e2e"] == "unchanged"
    assert verdicts(c)["error_rate"] == "unchanged"


def test_a_run_30_percent_slower_is_a_regression(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["aa1"], runs["slow"])
    v = verdicts(c)
    for name in (*LATENCY, "throughput"):
        assert v[name] == "regression", (name, v[name])
    m = next(m for m in c.metrics if m.name == "p95_e2e")
    assert 1.2 < m.low < m.estimate < m.high < 1.4  # type: ignore[operator]
    assert m.change_text().startswith("+")
    assert c.verdict == "regression"
    with pytest.raises(ThresholdFailed, match="p50_ttft") as err:
        check_gate(c)
    assert err.value.exit_code == 1


def test_the_reverse_is_an_improvement(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["slow"], runs["aa1"], **FAST)
    assert verdicts(c)["p50_e2e"] == "improvement"
    assert verdicts(c)["throughput"] == "improvement"
    check_gate(c)


def test_p99_needs_enough_samples(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["small_a"], runs["small_b"], **FAST)
    p99 = next(m for m in c.metrics if m.name == "p99_ttft")
    assert p99.verdict == "inconclusive"
    assert "5,000" in p99.reason and "have 100 and 100" in p99.reason
    assert p99.low is None and p99.estimate is not None  # the point change is still shown
    # 2,000 a side is still short of the p99 floor, while p95 is judged.
    big = verdicts(compare_runs(runs["aa1"], runs["slow"], **FAST))
    assert big["p99_ttft"] == "inconclusive"
    assert big["p95_ttft"] == "regression"


def test_min_tail_is_a_knob(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["aa1"], runs["slow"], min_tail=10, **FAST)
    assert verdicts(c)["p99_ttft"] == "regression"


def test_error_rate_difference_in_points(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["aa1"], runs["errors"], **FAST)
    m = next(m for m in c.metrics if m.name == "error_rate")
    assert m.verdict == "regression"
    assert m.change_kind == "pp"
    assert 3.5 < m.estimate < 6.5  # type: ignore[operator]
    assert m.interval_text().endswith("pp")
    relaxed = compare_runs(runs["aa1"], runs["errors"], ["error_rate:+10pp"], **FAST)
    assert verdicts(relaxed)["error_rate"] == "unchanged"


def test_strict_fails_on_inconclusive(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["aa1"], runs["aa2"], **FAST)
    assert c.inconclusive  # p99 at 2,000 samples
    check_gate(c)
    with pytest.raises(ThresholdFailed, match="inconclusive"):
        check_gate(c, strict=True)


def test_scenario_gate_and_cli_thresholds(runs: dict[str, SavedRun]) -> None:
    gated = compare_runs(runs["aa1"], runs["gated"], **FAST)
    p50 = next(m for m in gated.metrics if m.name == "p50_e2e")
    assert p50.threshold.source == "scenario"
    assert p50.verdict == "unchanged"  # +30% lies within the gate's 50%
    assert not gated.failed()
    tightened = compare_runs(runs["aa1"], runs["gated"], ["p50_e2e:10%"], **FAST)
    assert verdicts(tightened)["p50_e2e"] == "regression"
    assert verdicts(tightened)["p95_e2e"] == "unchanged"


def test_variant_choice_and_missing_variant(runs: dict[str, SavedRun]) -> None:
    pooled = compare_runs(runs["variants2"], runs["variants"], variant="pooled", **FAST)
    assert verdicts(pooled)["p50_e2e"] == "improvement"
    base = compare_runs(runs["variants2"], runs["variants"], **FAST)
    assert verdicts(base)["p50_e2e"] in {"unchanged", "inconclusive"}
    with pytest.raises(UsageError, match="no variant 'cached'"):
        compare_runs(runs["variants"], runs["variants2"], variant="cached")


def test_notes_and_run_info(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(runs["aa1"], runs["other"], **FAST)
    assert any("different scenarios" in n for n in c.notes)
    assert c.baseline.run_id == runs["aa1"].path.name
    d = c.to_dict()
    assert d["verdict"] == c.verdict
    assert "plots" not in d
    assert len(d["metrics"]) == 12
    assert all(m["threshold"]["value"] for m in d["metrics"])


def test_summary_json_path_is_accepted(runs: dict[str, SavedRun]) -> None:
    c = compare_runs(
        runs["aa1"].path / "summary.json", str(runs["aa2"].path), plots=False, resamples=500
    )
    assert c.plots is None
    assert len(c.metrics) == 12


def test_same_seed_same_comparison(runs: dict[str, SavedRun]) -> None:
    one = compare_runs(runs["aa1"], runs["aa3"], seed=5, resamples=300, plots=False)
    two = compare_runs(runs["aa1"], runs["aa3"], seed=5, resamples=300, plots=False)
    assert one.metrics == two.metrics


def test_bad_arguments(runs: dict[str, SavedRun]) -> None:
    with pytest.raises(UsageError, match="resamples"):
        compare_runs(runs["aa1"], runs["aa2"], resamples=10)
    with pytest.raises(UsageError, match="unknown metric"):
        compare_runs(runs["aa1"], runs["aa2"], ["p42_ttft:10%"])


T10 = Threshold("p95_ttft", "relative", 0.10)


@pytest.mark.parametrize(
    ("interval", "higher_is_worse", "verdict"),
    [
        (Interval(1.30, 1.25, 1.35), True, "regression"),
        (Interval(1.12, 1.01, 1.25), True, "regression"),  # excludes 1, beyond threshold
        (Interval(1.05, 1.01, 1.09), True, "unchanged"),  # real but small
        (Interval(1.00, 0.95, 1.06), True, "unchanged"),
        (Interval(1.08, 0.97, 1.19), True, "inconclusive"),  # might be a 19% regression
        (Interval(1.30, 0.90, 1.70), True, "inconclusive"),  # big but unsure
        (Interval(0.70, 0.65, 0.75), True, "improvement"),
        (Interval(0.70, 0.65, 0.75), False, "regression"),  # throughput fell 30%
        (Interval(1.30, 1.25, 1.35), False, "improvement"),
        (Interval(math.nan, math.nan, math.nan), True, "inconclusive"),
    ],
)
def test_judge(interval: Interval, higher_is_worse: bool, verdict: str) -> None:
    got, reason = judge(interval, T10, higher_is_worse=higher_is_worse, change_kind="relative")
    assert got == verdict, reason
    assert reason


def test_judge_in_points() -> None:
    t = Threshold("error_rate", "pp", 0.5)
    assert (
        judge(Interval(1.0, 0.6, 1.4), t, higher_is_worse=True, change_kind="pp")[0] == "regression"
    )
    assert (
        judge(Interval(0.0, -0.2, 0.2), t, higher_is_worse=True, change_kind="pp")[0] == "unchanged"
    )
    assert (
        judge(Interval(0.0, -3.0, 3.0), t, higher_is_worse=True, change_kind="pp")[0]
        == "inconclusive"
    )
