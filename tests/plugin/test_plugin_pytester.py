"""The pytest plugin, in a test suite of its own (pytester): budgets met pass, missed fail."""

from __future__ import annotations

import textwrap

import pytest

# Here rather than in tests/plugin/conftest.py: pytest refuses pytest_plugins in a conftest
# below the rootdir when the whole suite runs ("non-top-level conftest").
pytest_plugins = ["pytester"]

# A fast simulated provider: TTFT 5 ms, 4 tokens 1 ms apart; a few dozen requests.
SCENARIO = """\
name: tiny-{name}
providers:
  - name: sim
    kind: simulated
    models: [m]
    simulator:
      latency: {{ttft_ms: 5, itl_ms: 1, output_tokens: 4}}
agents: [{{name: a, model: m}}]
queries: [{{agent: a, texts: ["hello", "world"]}}]
load: {{mode: closed, concurrency: 4, requests: 24, warmup: 4}}
thresholds: {thresholds}
"""
MET = "{p95_ttft_ms: 2000, error_rate: 0.01}"
MISSED = "{p95_ttft_ms: 1, error_rate: 0.01}"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(
        ".yaml",
        fast=SCENARIO.format(name="fast", thresholds=MET),
        slow=SCENARIO.format(name="slow", thresholds=MISSED),
    )
    return pytester


def test_marker_passes_a_met_budget_and_fails_a_missed_one(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_budgets=textwrap.dedent("""\
        import pytest

        @pytest.mark.raafperf("fast.yaml")
        def test_meets_budget(raafperf_result):
            assert raafperf_result.passed
            assert raafperf_result.baseline["requests"]["measured"] == 24
            assert raafperf_result.run_dir.is_dir()

        @pytest.mark.raafperf(scenario="slow.yaml")
        def test_misses_budget():
            pass

        @pytest.mark.raafperf("fast.yaml", thresholds={"p50_e2e_ms": 0.001}, requests=8)
        def test_marker_thresholds_tighten_the_scenario():
            pass
        """)
    )
    kept = suite.path / "kept"
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", f"--raafperf-out={kept}")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_misses_budget*",
            "*raafperf: scenario 'tiny-slow' missed its thresholds*",
            "*p95_ttft_ms: measured *, limit 1*",
        ]
    )
    result.stdout.fnmatch_lines(["*p50_e2e_ms: measured *, limit 0.001*"])
    assert "Traceback" not in result.stdout.str()
    # --raafperf-out keeps every run.
    assert len(list(kept.glob("tiny-fast-*/summary.json"))) == 2
    assert len(list(kept.glob("tiny-slow-*/summary.json"))) == 1


def test_fixture_returns_the_summary_and_checks_on_request(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_fixture=textwrap.dedent("""\
        def test_fixture_met(raafperf_bench):
            summary = raafperf_bench("fast.yaml", requests=12)
            assert summary["scenario"]["name"] == "tiny-fast"
            assert summary.variant("baseline")["requests"]["measured"] == 12
            assert summary.failed_thresholds == [] and summary.passed
            summary.check_thresholds()

        async def test_fixture_missed_inside_an_async_test(raafperf_bench):
            summary = raafperf_bench("slow.yaml", requests=8)
            assert [t["name"] for t in summary.failed_thresholds] == ["p95_ttft_ms"]
            summary.check_thresholds()
        """)
    )
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_fixture_missed*", "*missed its thresholds*"])


def test_bad_usage_is_reported_without_a_traceback(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_bad=textwrap.dedent("""\
        import pytest

        @pytest.mark.raafperf("missing.yaml")
        def test_missing_scenario():
            pass

        @pytest.mark.raafperf("fast.yaml", thresholds={"p95_latency": 5})
        def test_unknown_threshold():
            pass

        def test_result_without_marker(raafperf_result):
            pass

        def test_unmarked_tests_are_untouched():
            pass
        """)
    )
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=3)
    out = result.stdout.str()
    assert "missing.yaml: no such file" in out
    assert "unknown threshold 'p95_latency'" in out
    assert "needs the test to be marked" in out


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.raafperf(scenario, *, thresholds=None*"])
