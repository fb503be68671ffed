"""List profiles and other artifacts in a saved run's summary.json (atomic rewrite)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from raafperf.errors import RunStoreError


def add_to_summary(
    run_dir: Path, files: dict[str, str] | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge ``files`` into summary["files"] and ``extra``'s keys into the summary.

    For artifacts made after the engine wrote summary.json. ``extra`` values replace
    top-level keys, except dicts, which are merged one level deep.
    """
    path = run_dir / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {path}: {exc}") from exc
    merge_into_summary(summary, files, extra)
    _write_atomic(path, summary)
    return summary


def merge_into_summary(
    summary: dict[str, Any],
    files: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The same merge on an in-memory summary (for an engine hook before it writes)."""
    if files:
        summary.setdefault("files", {}).update(files)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(summary.get(key), dict):
            summary[key].update(value)
        else:
            summary[key] = value
    return summary


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(_finite(data), out, indent=2, allow_nan=False, default=str)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RunStoreError(f"cannot write {path}: {exc}") from exc


def _finite(value: Any) -> Any:
    """NaN and infinities become null: summary.json is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
