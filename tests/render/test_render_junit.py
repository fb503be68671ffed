"""JUnit XML: valid against the common schema, one case per metric, verdicts mapped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from raafperf.analysis.compare import Comparison, compare_runs
from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.render import render_comparison, render_run

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema validates JUnit XML (test dep)")
XSD = Path(__file__).with_name("junit_common.xsd")


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("junit-runs")
    return {
        "a": write_synthetic_run(root, n=1200, seed=1),
        "slow": write_synthetic_run(root, n=1200, seed=2, slowdown=1.3),
    }


@pytest.fixture(scope="module")
def comparison(runs: dict[str, Path]) -> Comparison:
    return compare_runs(runs["a"], runs["slow"], resamples=500, plots=False)


def test_comparison_validates_and_maps_verdicts(schema, comparison: Comparison) -> None:
    xml = render_comparison(comparison, "junit")
    assert isinstance(xml, bytes)
    schema.validate(xml.decode())
    root = ET.fromstring(xml)
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [m.name for m in comparison.metrics]
    assert {c.get("classname") for c in cases} == {"raafperf.synthetic.baseline"}
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    skipped = {c.get("name") for c in cases if c.find("skipped") is not None}
    assert failed == {m.name for m in comparison.regressions}
    assert skipped == {m.name for m in comparison.inconclusive}
    assert failed and skipped  # both kinds are present in this pair of runs
    suite = root.find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "-1")) == len(failed)
    assert int(suite.get("skipped", "-1")) == len(skipped)
    assert int(root.get("tests", "-1")) == len(comparison.metrics)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "regression"
    assert "p50_ttft" in (suite.findtext("system-out") or "")


def test_the_schema_can_say_no(schema) -> None:
    """Negative control: a test case without classname and time is rejected."""
    bad = (
        '<testsuites><testsuite name="s" tests="1" failures="0" errors="0" time="0" '
        'timestamp="2025-01-01T00:00:00" hostname="h"><properties/>'
        '<testcase name="x"/><system-out/><system-err/></testsuite></testsuites>'
    )
    assert not schema.is_valid(bad)


def test_hostile_text_still_validates(schema, comparison: Comparison) -> None:
    odd = replace(
        comparison,
        notes=('a\x00b & <c> "d" \x1b[31m',),
        current=replace(comparison.current, hostname="", started_at="garbage"),
    )
    xml = render_comparison(odd, "junit")
    schema.validate(xml.decode())
    assert b"&amp; &lt;c&gt;" in xml


def test_run_report_validates_with_thresholds(
    schema, runs: dict[str, Path], tmp_path: Path
) -> None:
    xml = render_run(runs["a"], "junit")
    schema.validate(xml.decode())
    assert ET.fromstring(xml).find(".//testcase").get("name") == "completed"

    # A run whose summary recorded one failed and one passed threshold.
    run = write_synthetic_run(tmp_path, n=200, seed=9, variants={"pooled": 0.8})
    summary = json.loads((run / "summary.json").read_text())
    summary["variants"]["baseline"]["thresholds"] = [
        {"name": "p95_ttft_ms", "limit": 100.0, "value": 321.0, "passed": False},
        {"name": "error_rate", "limit": 0.01, "value": 0.0, "passed": True},
    ]
    (run / "summary.json").write_text(json.dumps(summary))
    xml = render_run(run, "junit")
    schema.validate(xml.decode())
    root = ET.fromstring(xml)
    assert root.get("failures") == "1"
    names = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert ("raafperf.synthetic.baseline", "p95_ttft_ms") in names
    assert ("raafperf.synthetic.pooled", "completed") in names
