"""The run history store: indexing, folder sync, trends and `--baseline latest`."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from history_helpers import save, summary

from raafperf.errors import RunStoreError
from raafperf.history import HistoryStore, default_db_path, index_run, resolve_baseline
from raafperf.history.baseline import NoBaselineFound
from raafperf.history.extract import rows_of
from raafperf.history.table import sparkline


def test_index_run_keeps_the_main_metrics_with_commit_and_machine(tmp_path: Path) -> None:
    run_dir = save(
        tmp_path,
        "demo-1",
        summary(ttft_p50=101.5, error_rate=0.02, cost_mean=0.0042, commit="c0ffee"),
    )
    index_run(run_dir, json.loads((run_dir / "summary.json").read_text()))
    assert default_db_path(tmp_path).is_file()
    [point] = HistoryStore(default_db_path(tmp_path)).trend("demo")
    assert point.path == run_dir
    assert point.run.git_commit == "c0ffee" and point.run.hostname == "box"
    assert point.run.cpu_model == "CPU X"
    assert point.metrics["ttft_p50_ms"] == 101.5
    assert point.metrics["error_rate"] == 0.02
    assert point.metrics["cost_per_request_usd"] == 0.0042
    assert point.metrics["e2e_p99_ms"] is None
    assert point.thresholds_passed is True and point.measured == 100
    # Keys are relative to the store's folder, so a reports folder can move whole.
    with sqlite3.connect(default_db_path(tmp_path)) as db:
        assert db.execute("SELECT run_key FROM runs").fetchall() == [("demo-1",)]


def test_trend_is_oldest_first_limited_to_the_newest_and_per_variant(tmp_path: Path) -> None:
    store = HistoryStore(default_db_path(tmp_path))
    for i in range(5):
        run_dir = save(
            tmp_path,
            f"demo-{i}",
            summary(
                started=f"2026-01-0{i + 1}T10:00:00+00:00",
                ttft_p95=200.0 + i,
                variants=("baseline", "cached") if i % 2 else ("baseline",),
            ),
        )
        store.add(run_dir, json.loads((run_dir / "summary.json").read_text()))
    save_other = save(tmp_path, "other-1", summary("other"))
    store.add(save_other, json.loads((save_other / "summary.json").read_text()))
    points = store.trend("demo", limit=3)
    assert [p.run.run_id for p in points] == ["demo-2", "demo-3", "demo-4"]
    assert [p.metrics["ttft_p95_ms"] for p in points] == [202.0, 203.0, 204.0]
    assert [p.run.run_id for p in store.trend("demo", variant="cached")] == ["demo-1", "demo-3"]
    assert store.variants_of("demo") == ["baseline", "cached"]
    assert {r["scenario"]: r["runs"] for r in store.scenarios()} == {"demo": 5, "other": 1}


def test_sync_indexes_new_and_changed_runs_and_forgets_deleted_ones(tmp_path: Path) -> None:
    store = HistoryStore(default_db_path(tmp_path))
    first = save(tmp_path, "demo-1", summary(ttft_p50=100))
    save(tmp_path, "demo-2", summary(started="2026-01-02T10:00:00+00:00"))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "summary.json").write_text('{"a": 1}')
    report = store.sync(tmp_path)
    assert (report.indexed, report.unchanged, report.removed) == (2, 0, 0)
    assert sorted(report.skipped) == [
        "broken: unreadable (JSONDecodeError)",
        "foreign: not a raafperf summary",
    ]
    assert store.sync(tmp_path).unchanged == 2
    # A rewritten summary (e.g. re-saved) is read again.
    save(first.parent, "demo-1", summary(ttft_p50=111))
    stat = (first / "summary.json").stat()
    os.utime(first / "summary.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert store.sync(tmp_path).indexed == 1
    assert store.trend("demo")[0].metrics["ttft_p50_ms"] == 111
    (tmp_path / "demo-2" / "summary.json").unlink()
    assert store.sync(tmp_path).removed == 1
    assert [p.run.run_id for p in store.trend("demo")] == ["demo-1"]
    assert store.sync(tmp_path, rebuild=True).indexed == 1


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "none" / "history.sqlite")
    assert store.trend("demo") == [] and store.scenarios() == []
    assert not (tmp_path / "none").exists()


def test_a_damaged_store_is_a_clear_error(tmp_path: Path) -> None:
    db = default_db_path(tmp_path)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunStoreError, match=r"history store error.*--rebuild"):
        HistoryStore(db).trend("demo")


def test_latest_baseline_is_the_newest_complete_run_on_the_same_machine(tmp_path: Path) -> None:
    save(tmp_path, "demo-old", summary(started="2026-01-01T10:00:00+00:00"))
    good = save(tmp_path, "demo-good", summary(started="2026-01-02T10:00:00+00:00"))
    save(
        tmp_path, "demo-other-host", summary(started="2026-01-03T10:00:00+00:00", host="elsewhere")
    )
    save(tmp_path, "demo-other-cpu", summary(started="2026-01-03T11:00:00+00:00", cpu="CPU Y"))
    save(tmp_path, "demo-cut", summary(started="2026-01-04T10:00:00+00:00", interrupted=True))
    save(tmp_path, "other-new", summary("other", started="2026-01-05T10:00:00+00:00"))
    current = save(tmp_path, "demo-now", summary(started="2026-01-06T10:00:00+00:00"))
    machine = {"hostname": "box", "cpu_model": "CPU X"}
    found = resolve_baseline("latest", "demo", tmp_path, exclude=current, machine=machine)
    assert found == good
    # Without the exclusion, the newest run is the current one itself.
    assert resolve_baseline("latest", "demo", tmp_path, machine=machine) == current
    with pytest.raises(NoBaselineFound, match=r"no earlier complete run of 'demo'.*elsewhere"):
        resolve_baseline(
            "latest",
            "demo",
            tmp_path,
            exclude=tmp_path / "demo-other-host",
            machine={"hostname": "elsewhere", "cpu_model": "CPU X"},
        )


def test_explicit_baselines_are_folders_summaries_or_names(tmp_path: Path) -> None:
    run_dir = save(tmp_path, "demo-1", summary())
    assert resolve_baseline(str(run_dir), "demo", tmp_path) == run_dir
    assert resolve_baseline(str(run_dir / "summary.json"), "demo", tmp_path) == run_dir
    assert resolve_baseline("demo-1", "demo", tmp_path) == tmp_path / "demo-1"
    with pytest.raises(RunStoreError, match="--baseline nope: no such run"):
        resolve_baseline("nope", "demo", tmp_path)


def test_rows_survive_missing_and_failed_sections() -> None:
    data = summary(cost_mean=None)
    data["variants"]["baseline"]["cost"] = {"error": "KeyError: x"}
    del data["variants"]["baseline"]["errors"]
    data["variants"]["baseline"]["requests"]["errors"] = 5
    run, [row] = rows_of(data)
    assert row.metrics["cost_per_request_usd"] is None
    assert row.metrics["error_rate"] == 0.05
    run, variants = rows_of({"schema_version": 1})
    assert run.scenario == "?" and variants == []


def test_sparkline_keeps_noise_flat_and_shows_real_moves() -> None:
    assert sparkline([256.7, 256.3]) in ("▅▄", "▄▅", "▄▄", "▅▅")
    assert sparkline([100, 200, 300, None, 400]) == "▁▃▆ █"
    assert sparkline([None]) == ""


def test_scanning_a_missing_reports_folder_creates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    report = HistoryStore(default_db_path(root)).sync(root)
    assert report.indexed == 0 and not root.exists()
