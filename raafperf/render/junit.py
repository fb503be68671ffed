"""JUnit XML in the common (Ant/Jenkins/Surefire) dialect that CI systems read.

A comparison gives one test case per scenario × metric: a regression is a ``failure``, an
inconclusive metric is ``skipped`` (never a pass), unchanged and improvement pass. A single
run gives one test case per variant × threshold of its summary.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from raafperf.render.base import VERDICT_WORDS, Report, fmt_value, method_line, overall_line

if TYPE_CHECKING:
    from raafperf.analysis.compare import Comparison
    from raafperf.analysis.run_report import RunReport

# Characters XML 1.0 cannot carry at all, even escaped.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: object) -> str:
    return _BAD_XML.sub("?", str(text))


def _timestamp(iso: str | None) -> str:
    """ISO 8601 without zone or fraction, as Ant's schema wants (``2025-01-01T00:00:00``)."""
    m = re.match(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})", iso or "")
    return m.group(1) if m else "1970-01-01T00:00:00"


def _suite(
    root: ET.Element, name: str, *, timestamp: str, hostname: str, properties: dict[str, str]
) -> ET.Element:
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _clean(name),
            "tests": "0",
            "failures": "0",
            "errors": "0",
            "skipped": "0",
            "time": "0",
            "timestamp": timestamp,
            "hostname": _clean(hostname or "localhost"),
        },
    )
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        ET.SubElement(props, "property", {"name": _clean(key), "value": _clean(value)})
    return suite


def _case(
    suite: ET.Element,
    classname: str,
    name: str,
    *,
    failure: str | None = None,
    failure_type: str = "regression",
    skipped: str | None = None,
    detail: str = "",
) -> None:
    case = ET.SubElement(
        suite, "testcase", {"classname": _clean(classname), "name": _clean(name), "time": "0"}
    )
    if failure is not None:
        el = ET.SubElement(case, "failure", {"message": _clean(failure), "type": failure_type})
        el.text = _clean(detail)
    elif skipped is not None:
        ET.SubElement(case, "skipped", {"message": _clean(skipped)})


def _finish(root: ET.Element, system_out: str) -> bytes:
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        ET.SubElement(suite, "system-out").text = _clean(system_out)
        ET.SubElement(suite, "system-err").text = ""
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


class JUnitRenderer:
    def render(self, report: Report) -> bytes:
        from raafperf.analysis.compare import Comparison

        if isinstance(report, Comparison):
            return self._comparison(report)
        return self._run(report)

    def _comparison(self, c: Comparison) -> bytes:
        root = ET.Element("testsuites", {"name": "raafperf compare", "time": "0"})
        suite = _suite(
            root,
            f"raafperf.compare.{c.scenario}",
            timestamp=_timestamp(c.current.started_at),
            hostname=c.current.hostname or "localhost",
            properties={
                "variant": c.variant,
                "baseline": c.baseline.run_id,
                "baseline_path": c.baseline.path,
                "current": c.current.run_id,
                "current_path": c.current.path,
                "confidence": f"{c.confidence:g}",
                "resamples": str(c.resamples),
                "seed": str(c.seed),
                "verdict": c.verdict,
            },
        )
        classname = f"raafperf.{c.scenario}.{c.variant}"
        for m in c.metrics:
            summary = (
                f"{m.label}: {fmt_value(m.baseline, m.unit)} → "
                f"{fmt_value(m.current, m.unit)}, change {m.change_text()} "
                f"(CI {m.interval_text()}), threshold {m.threshold}"
            )
            detail = f"{summary}\n{VERDICT_WORDS[m.verdict]}: {m.reason}"
            if m.verdict == "regression":
                _case(suite, classname, m.name, failure=f"REGRESSION {summary}", detail=detail)
            elif m.verdict == "inconclusive":
                _case(suite, classname, m.name, skipped=f"INCONCLUSIVE: {m.reason}")
            else:
                _case(suite, classname, m.name)
        lines = [overall_line(c), method_line(c), *c.notes, ""]
        lines += [
            f"{m.name}: {VERDICT_WORDS[m.verdict]} {m.change_text()} "
            f"(CI {m.interval_text()}) — {m.reason}"
            for m in c.metrics
        ]
        return _finish(root, "\n".join(lines))

    def _run(self, r: RunReport) -> bytes:
        root = ET.Element("testsuites", {"name": "raafperf run", "time": "0"})
        suite = _suite(
            root,
            f"raafperf.run.{r.info.scenario}",
            timestamp=_timestamp(r.info.started_at),
            hostname=r.info.hostname or "localhost",
            properties={"run": r.info.run_id, "path": r.info.path},
        )
        for v in r.variants:
            classname = f"raafperf.{r.info.scenario}.{v.name}"
            if not v.thresholds:
                _case(
                    suite,
                    classname,
                    "completed",
                    failure="the run was interrupted" if r.info.interrupted else None,
                    failure_type="interrupted",
                )
            for t in v.thresholds:
                name = str(t.get("name", "threshold"))
                text = f"{name}: value {t.get('value')} against limit {t.get('limit')}"
                if t.get("passed") is False:
                    _case(
                        suite, classname, name, failure=text, failure_type="threshold", detail=text
                    )
                else:
                    _case(suite, classname, name)
        lines = [
            f"{v.name}: {v.ok}/{v.measured} ok, e2e p95 {fmt_value(v.e2e_ms.get('p95'), 'ms')}"
            for v in r.variants
        ]
        return _finish(root, "\n".join(lines))
