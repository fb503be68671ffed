"""Run history: every saved run indexed in a local SQLite store, for trends and baselines.

``index_run`` is called after each save; ``HistoryStore.sync`` (re)indexes a reports folder
from its ``summary.json`` files, so the store can always be rebuilt from the runs.
"""

from __future__ import annotations

from raafperf.history.baseline import resolve_baseline
from raafperf.history.extract import METRIC_COLUMNS, RunRow, VariantRow, rows_of
from raafperf.history.store import DB_NAME, HistoryStore, TrendPoint, default_db_path, index_run

__all__ = [
    "DB_NAME",
    "METRIC_COLUMNS",
    "HistoryStore",
    "RunRow",
    "TrendPoint",
    "VariantRow",
    "default_db_path",
    "index_run",
    "resolve_baseline",
    "rows_of",
]
