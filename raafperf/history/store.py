"""The SQLite store of the run history (``<reports root>/history.sqlite`` by default).

One row per run and one per (run, variant). A run is keyed by its folder, relative to the
store's folder when it lies inside it, so a reports folder can move or be copied whole. The
store is an index only: ``sync`` rebuilds it from the ``summary.json`` files at any time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.errors import RunStoreError
from raafperf.history.extract import METRIC_COLUMNS, RunRow, VariantRow, rows_of

DB_NAME = "history.sqlite"
SCHEMA_VERSION = 1
SUMMARY = "summary.json"

_RUN_COLUMNS = (
    "run_id",
    "scenario",
    "scenario_path",
    "scenario_sha256",
    "profile",
    "started_at",
    "finished_at",
    "interrupted",
    "hostname",
    "cpu_model",
    "cpu_count",
    "git_commit",
    "raafperf_version",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL, scenario TEXT NOT NULL, scenario_path TEXT, scenario_sha256 TEXT,
    profile TEXT, started_at TEXT, finished_at TEXT, interrupted INTEGER NOT NULL,
    hostname TEXT, cpu_model TEXT, cpu_count INTEGER, git_commit TEXT, raafperf_version TEXT,
    summary_mtime_ns INTEGER, indexed_at TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs (scenario, started_at);
CREATE TABLE IF NOT EXISTS variants (
    run_key TEXT NOT NULL, variant TEXT NOT NULL,
    measured INTEGER, ok INTEGER, errors INTEGER, thresholds_passed INTEGER,
    {", ".join(f"{c} REAL" for c in METRIC_COLUMNS)},
    PRIMARY KEY (run_key, variant)
);
"""


def default_db_path(reports_root: Path) -> Path:
    return Path(reports_root) / DB_NAME


@dataclass(frozen=True)
class TrendPoint:
    """One run of a scenario, one variant's metrics: a point of the trend."""

    path: Path
    run: RunRow
    variant: str
    measured: int | None
    thresholds_passed: bool | None
    metrics: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        r = self.run
        return {
            "run_id": r.run_id,
            "path": str(self.path),
            "started_at": r.started_at,
            "interrupted": r.interrupted,
            "profile": r.profile,
            "git_commit": r.git_commit,
            "hostname": r.hostname,
            "cpu_model": r.cpu_model,
            "variant": self.variant,
            "measured": self.measured,
            "thresholds_passed": self.thresholds_passed,
            "metrics": dict(self.metrics),
        }


@dataclass
class SyncReport:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    """Folders whose summary.json could not be read, with why."""


class HistoryStore:
    """The history database. Every method opens and closes its own connection, so several
    raafperf processes can share one store (SQLite locks; writers wait up to 30 s)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- writing --------------------------------------------------------------------------

    def add(self, run_dir: Path, summary: dict[str, Any], *, mtime_ns: int | None = None) -> None:
        """Index (or re-index) one run."""
        run, variants = rows_of(summary, fallback_id=Path(run_dir).name)
        key = self._key(run_dir)
        if mtime_ns is None:
            mtime_ns = _mtime_ns(Path(run_dir) / SUMMARY)
        with self._connect(write=True) as db:
            self._upsert(db, key, run, variants, mtime_ns)

    def remove(self, run_dir: Path) -> None:
        with self._connect(write=True) as db:
            self._delete(db, self._key(run_dir))

    def sync(self, reports_root: Path, *, rebuild: bool = False) -> SyncReport:
        """Index every ``<root>/*/summary.json`` not indexed yet (or changed since), and drop
        runs whose folder is gone. ``rebuild`` re-reads every summary."""
        root = Path(reports_root)
        report = SyncReport()
        if not root.is_dir() and not self.path.exists():
            return report  # nothing to index: do not create a store (or a folder) for nothing
        found: dict[str, tuple[Path, int]] = {}
        if root.is_dir():
            for summary_path in sorted(root.glob(f"*/{SUMMARY}")):
                mtime = _mtime_ns(summary_path)
                if mtime is not None:
                    found[self._key(summary_path.parent)] = (summary_path, mtime)
        with self._connect(write=True) as db:
            if rebuild:
                db.execute("DELETE FROM variants")
                db.execute("DELETE FROM runs")
            known = dict(db.execute("SELECT run_key, summary_mtime_ns FROM runs").fetchall())
            for key, (summary_path, mtime) in found.items():
                if known.get(key) == mtime:
                    report.unchanged += 1
                    continue
                summary = _read_summary(summary_path, report)
                if summary is None:
                    continue
                run, variants = rows_of(summary, fallback_id=summary_path.parent.name)
                self._upsert(db, key, run, variants, mtime)
                report.indexed += 1
            for key in known:
                if key not in found and not (self._resolve(key) / SUMMARY).is_file():
                    self._delete(db, key)
                    report.removed += 1
        return report

    # -- reading --------------------------------------------------------------------------

    def trend(
        self,
        scenario: str,
        *,
        variant: str = "baseline",
        limit: int | None = None,
        hostname: str | None = None,
        cpu_model: str | None = None,
    ) -> list[TrendPoint]:
        """The runs of ``scenario`` that have ``variant``, oldest first (the newest ``limit``);
        ``hostname``/``cpu_model`` keep one machine's runs only."""
        where = ["r.scenario = ?", "v.variant = ?"]
        args: list[Any] = [scenario, variant]
        for column, value in (("hostname", hostname), ("cpu_model", cpu_model)):
            if value is not None:
                where.append(f"r.{column} IS ?")
                args.append(value)
        sql = (
            f"SELECT r.run_key, {', '.join('r.' + c for c in _RUN_COLUMNS)}, v.variant, "
            f"v.measured, v.thresholds_passed, {', '.join('v.' + c for c in METRIC_COLUMNS)} "
            f"FROM runs r JOIN variants v ON v.run_key = r.run_key WHERE {' AND '.join(where)} "
            "ORDER BY r.started_at DESC, r.run_id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._connect() as db:
            rows = db.execute(sql, args).fetchall()
        points = [self._point(row) for row in rows]
        points.reverse()
        return points

    def latest(
        self,
        scenario: str,
        *,
        hostname: str | None,
        cpu_model: str | None,
        exclude: Path | None = None,
        include_interrupted: bool = False,
    ) -> tuple[Path, RunRow] | None:
        """The newest run of ``scenario`` on one machine, other than ``exclude``."""
        sql = (
            f"SELECT run_key, {', '.join(_RUN_COLUMNS)} FROM runs WHERE scenario = ? AND "
            "hostname IS ? AND cpu_model IS ? ORDER BY started_at DESC, run_id DESC"
        )
        skip = self._key(exclude) if exclude is not None else None
        with self._connect() as db:
            rows = db.execute(sql, (scenario, hostname, cpu_model)).fetchall()
        for key, *values in rows:
            run_values = dict(zip(_RUN_COLUMNS, values, strict=True))
            run_values["interrupted"] = bool(run_values["interrupted"])
            run = RunRow(**run_values)
            if key == skip or (run.interrupted and not include_interrupted):
                continue
            path = self._resolve(key)
            if (path / SUMMARY).is_file():
                return path, run
        return None

    def scenarios(self) -> list[dict[str, Any]]:
        """Every scenario with its number of runs, machines and first/last run."""
        sql = (
            "SELECT scenario, COUNT(*), COUNT(DISTINCT COALESCE(hostname, '') || '|' || "
            "COALESCE(cpu_model, '')), MIN(started_at), MAX(started_at) FROM runs "
            "GROUP BY scenario ORDER BY MAX(started_at) DESC"
        )
        with self._connect() as db:
            rows = db.execute(sql).fetchall()
        return [
            {"scenario": s, "runs": n, "machines": m, "first": first, "last": last}
            for s, n, m, first, last in rows
        ]

    def variants_of(self, scenario: str) -> list[str]:
        sql = (
            "SELECT DISTINCT v.variant FROM variants v JOIN runs r ON r.run_key = v.run_key "
            "WHERE r.scenario = ? ORDER BY v.variant"
        )
        with self._connect() as db:
            return [row[0] for row in db.execute(sql, (scenario,)).fetchall()]

    # -- internals ------------------------------------------------------------------------

    def _key(self, run_dir: Path) -> str:
        folder = Path(os.path.abspath(run_dir))
        home = Path(os.path.abspath(self.path.parent))
        try:
            return folder.relative_to(home).as_posix()
        except ValueError:
            return str(folder)

    def _resolve(self, key: str) -> Path:
        p = Path(key)
        return p if p.is_absolute() else self.path.parent / p

    def _point(self, row: tuple[Any, ...]) -> TrendPoint:
        key, rest = row[0], row[1:]
        run_values = dict(zip(_RUN_COLUMNS, rest[: len(_RUN_COLUMNS)], strict=True))
        run_values["interrupted"] = bool(run_values["interrupted"])
        variant, measured, passed, *metrics = rest[len(_RUN_COLUMNS) :]
        return TrendPoint(
            path=self._resolve(key),
            run=RunRow(**run_values),
            variant=variant,
            measured=measured,
            thresholds_passed=None if passed is None else bool(passed),
            metrics=dict(zip(METRIC_COLUMNS, metrics, strict=True)),
        )

    def _upsert(
        self,
        db: sqlite3.Connection,
        key: str,
        run: RunRow,
        variants: list[VariantRow],
        mtime_ns: int | None,
    ) -> None:
        self._delete(db, key)
        values = [getattr(run, c) for c in _RUN_COLUMNS]
        values[_RUN_COLUMNS.index("interrupted")] = int(run.interrupted)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        db.execute(
            f"INSERT INTO runs (run_key, {', '.join(_RUN_COLUMNS)}, summary_mtime_ns, indexed_at)"
            f" VALUES ({', '.join('?' * (len(_RUN_COLUMNS) + 3))})",
            [key, *values, mtime_ns, now],
        )
        columns = (
            "run_key",
            "variant",
            "measured",
            "ok",
            "errors",
            "thresholds_passed",
            *METRIC_COLUMNS,
        )
        db.executemany(
            f"INSERT INTO variants ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [
                [
                    key,
                    v.variant,
                    v.measured,
                    v.ok,
                    v.errors,
                    None if v.thresholds_passed is None else int(v.thresholds_passed),
                    *(v.metrics.get(c) for c in METRIC_COLUMNS),
                ]
                for v in variants
            ],
        )

    @staticmethod
    def _delete(db: sqlite3.Connection, key: str) -> None:
        db.execute("DELETE FROM variants WHERE run_key = ?", (key,))
        db.execute("DELETE FROM runs WHERE run_key = ?", (key,))

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            # Reading a store that does not exist yet: an empty in-memory one answers.
            target = ":memory:"
        else:
            target = str(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RunStoreError(
                    f"{self.path}: cannot create the history store ({exc})"
                ) from None
        try:
            db = sqlite3.connect(target, timeout=30)
        except sqlite3.Error as exc:
            raise RunStoreError(f"{self.path}: cannot open the history store ({exc})") from None
        try:
            with db:
                self._ensure_schema(db)
                yield db
        except sqlite3.DatabaseError as exc:
            raise RunStoreError(
                f"{self.path}: history store error ({exc}); delete the file and run "
                "`raafperf history --rebuild` to rebuild it from the run folders"
            ) from None
        finally:
            db.close()

    def _ensure_schema(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise RunStoreError(
                f"{self.path}: written by a newer raafperf (history schema {row[0]})"
            )


def index_run(run_dir: Path, summary: dict[str, Any], *, db: Path | None = None) -> None:
    """Add a just-saved run to the history (``<run_dir's parent>/history.sqlite`` unless
    ``db`` says otherwise). Raises RunStoreError when the store cannot be written."""
    run_dir = Path(run_dir)
    HistoryStore(db or default_db_path(run_dir.parent)).add(run_dir, summary)


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _read_summary(path: Path, report: SyncReport) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.skipped.append(f"{path.parent.name}: unreadable ({exc.__class__.__name__})")
        return None
    if not isinstance(data, dict) or "schema_version" not in data:
        report.skipped.append(f"{path.parent.name}: not a raafperf summary")
        return None
    return data
