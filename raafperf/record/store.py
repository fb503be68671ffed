"""Where runs live: ``reports/<scenario>-<UTC timestamp>/`` with summary.json and samples.

Every file is written atomically, so a reader never sees half a run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.errors import RunStoreError
from raafperf.record.atomic import atomic_path, write_text_atomic
from raafperf.record.recorder import Table

SCHEMA_VERSION = 1
SUMMARY = "summary.json"
REQUESTS = "requests.parquet"
CALLS = "calls.parquet"


def utc_stamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ")


def new_run_dir(root: Path, scenario_name: str) -> Path:
    """A fresh run folder; a second run in the same second gets a suffix."""
    base = root / f"{scenario_name}-{utc_stamp()}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    candidate.mkdir(parents=True)
    return candidate


def write_table(path: Path, table: Table) -> None:
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(table.to_arrow(), tmp, compression="zstd")


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    write_text_atomic(run_dir / SUMMARY, json.dumps(_json_safe(summary), indent=2) + "\n")


def _json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


@dataclass
class SavedRun:
    path: Path
    summary: dict[str, Any]
    _requests: Any = field(default=None, repr=False)
    _calls: Any = field(default=None, repr=False)

    @property
    def run_id(self) -> str:
        return str(self.summary.get("run_id", self.path.name))

    def requests(self) -> Any:
        """All requests as a pandas DataFrame (warm-up rows included, phase == "warmup")."""
        if self._requests is None:
            self._requests = _read_parquet(
                self.path / self.summary.get("files", {}).get("requests", REQUESTS)
            )
        return self._requests

    def calls(self) -> Any:
        if self._calls is None:
            self._calls = _read_parquet(
                self.path / self.summary.get("files", {}).get("calls", CALLS)
            )
        return self._calls


def _read_parquet(path: Path) -> Any:
    import pandas as pd

    try:
        df = pd.read_parquet(path)
    except FileNotFoundError:
        raise RunStoreError(f"{path}: missing (the run folder is incomplete)") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise RunStoreError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
    return df


def load_run(path: str | Path) -> SavedRun:
    """A saved run from its folder or its summary.json."""
    p = Path(path)
    if p.is_dir():
        run_dir, summary_path = p, p / SUMMARY
    else:
        run_dir, summary_path = p.parent, p
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunStoreError(
            f"{summary_path}: no such run (expected a run folder or its summary.json)"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RunStoreError(f"{summary_path}: not a readable summary ({exc})") from None
    if not isinstance(summary, dict) or "schema_version" not in summary:
        raise RunStoreError(f"{summary_path}: not a raafperf summary (no schema_version)")
    if summary["schema_version"] > SCHEMA_VERSION:
        raise RunStoreError(
            f"{summary_path}: written by a newer raafperf (schema {summary['schema_version']})"
        )
    return SavedRun(path=run_dir, summary=summary)
