"""The HTML report: self-contained, every plot present, and drawn by a real browser."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from raafperf.analysis.compare import compare_runs
from raafperf.analysis.synthetic import write_synthetic_run
from raafperf.render import render_comparison, render_run

RUN_PLOTS = (
    "plot-latency-hist",
    "plot-latency-cdf",
    "plot-latency-time",
    "plot-throughput-time",
    "plot-errors-time",
    "plot-cost",
    "plot-variants",
)
COMPARE_PLOTS = (
    "plot-change-intervals",
    "plot-latency-hist",
    "plot-latency-cdf",
    "plot-latency-time",
    "plot-throughput-time",
    "plot-errors-time",
)


class Plots(HTMLParser):
    """For each ``section.plot``: its charts and drawn series; plus any outside reference."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, int]] = {}
        self.current: str | None = None
        self.depth = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        for key in ("src", "href", "action", "srcset"):
            if key in a:
                self.external.append(f"{tag} {key}={a[key]}")
        if tag in ("script", "link", "iframe", "img", "object", "embed"):
            self.external.append(tag)
        if tag == "section" and "plot" in (a.get("class") or "").split():
            self.current, self.depth = a.get("id"), 0
            self.sections[self.current] = {"charts": 0, "series": 0, "empty": 0}
        if self.current is None:
            return
        if tag == "section":
            self.depth += 1
        classes = (a.get("class") or "").split()
        if tag == "svg" and "chart" in classes:
            self.sections[self.current]["charts"] += 1
            self.sections[self.current]["empty"] += "empty" in classes
        if tag == "g" and "series" in classes:
            self.sections[self.current]["series"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.current is not None:
            self.depth -= 1
            if self.depth == 0:
                self.current = None


def parse(html: str) -> Plots:
    p = Plots()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("html-runs")
    run = write_synthetic_run(
        root, n=1500, seed=5, error_rate=0.03, variants={"pooled": 0.8, "<b>cached</b>": 0.6}
    )
    a = write_synthetic_run(root, n=1500, seed=1)
    b = write_synthetic_run(root, n=1500, seed=2, slowdown=1.3, error_rate=0.02)
    return {
        "run": str(render_run(run, "html")),
        "compare": str(render_comparison(compare_runs(a, b, resamples=500), "html")),
    }


@pytest.mark.parametrize(("kind", "ids"), [("run", RUN_PLOTS), ("compare", COMPARE_PLOTS)])
def test_every_plot_is_there_and_drawn(reports: dict[str, str], kind: str, ids) -> None:
    found = parse(reports[kind])
    assert list(found.sections) == list(ids)
    for plot_id in ids:
        s = found.sections[plot_id]
        assert s["charts"] >= 1, plot_id
        assert s["series"] >= 1 and s["empty"] == 0, (plot_id, s)
    # run: 3 variants × (TTFT, E2E); compare: 2 sides × (TTFT, E2E, ITL)
    assert found.sections["plot-latency-cdf"]["series"] >= 6


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_self_contained_and_small(reports: dict[str, str], kind: str) -> None:
    html = reports[kind]
    assert parse(html).external == []
    assert not re.search(r"https?://|url\(|@import", html)
    assert len(html.encode()) < 250_000
    assert html.startswith("<!DOCTYPE html>")


def test_names_are_escaped(reports: dict[str, str]) -> None:
    assert "<b>cached</b>" not in reports["run"]
    assert "&lt;b&gt;cached&lt;/b&gt;" in reports["run"]


# --- a real browser ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"
)

# Added to a copy of the report only: the report itself carries no script.
PROBE = """<script>
const out = {};
document.querySelectorAll('section.plot').forEach(s => {
  out[s.id] = [...s.querySelectorAll('svg.chart')].map(svg => {
    const r = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('g.series polyline, g.series rect, g.series circle')]
      .map(e => e.getBoundingClientRect()).filter(b => b.width > 0 || b.height > 0);
    return {w: r.width, h: r.height, marks: marks.length};
  });
});
const pre = document.createElement('pre');
pre.id = 'layout-probe';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_chromium
@pytest.mark.parametrize(("kind", "ids"), [("run", RUN_PLOTS), ("compare", COMPARE_PLOTS)])
def test_chromium_draws_every_plot(reports: dict[str, str], kind: str, ids, tmp_path: Path) -> None:
    page = tmp_path / f"{kind}.html"
    page.write_text(reports[kind].replace("</body>", PROBE + "</body>"))
    dom = chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    m = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, dom.stderr[-2000:]
    layout = json.loads(m.group(1).replace("&quot;", '"'))
    assert list(layout) == list(ids)
    for plot_id, charts in layout.items():
        assert charts, plot_id
        for chart in charts:
            assert chart["w"] > 200 and chart["h"] > 80, (plot_id, chart)
            assert chart["marks"] >= 1, (plot_id, chart)

    plain = tmp_path / f"{kind}-plain.html"
    plain.write_text(reports[kind])
    shot = tmp_path / f"{kind}.png"
    res = chromium(f"--screenshot={shot}", "--window-size=1280,2400", plain.as_uri(), tmp=tmp_path)
    assert shot.exists(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2400)
    assert len(data) > 60_000  # a blank page compresses to a few KB; plots do not
