"""``raafperf bench --baseline RUN|latest``: compare the run just saved with a saved one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from raafperf.history.baseline import LATEST, NoBaselineFound, resolve_baseline

__all__ = ["LATEST", "compare_with_baseline", "resolve_baseline"]


def compare_with_baseline(baseline: str, outcome: Any, json_out: bool = False) -> bool:
    """Compare ``outcome`` (a RunOutcome: ``run_dir``, ``summary``) with ``baseline``; True when
    the comparison failed (a regression). ``latest`` picks the newest earlier run of the same
    scenario on the same machine; when there is none yet (a first CI run) the comparison is
    skipped with a note on stderr, and that is not a failure."""
    from raafperf.cli.compare_cmd import compare_with_baseline as compare

    run_dir = Path(outcome.run_dir)
    summary = outcome.summary or {}
    scenario = str((summary.get("scenario") or {}).get("name") or "")
    try:
        path = resolve_baseline(
            baseline, scenario, run_dir.parent, exclude=run_dir, machine=summary.get("machine")
        )
    except NoBaselineFound as exc:
        print(f"raafperf: {exc}; nothing to compare with yet", file=sys.stderr)
        return False
    if baseline == LATEST:
        print(f"raafperf: baseline (latest on this machine): {path}", file=sys.stderr)
    return compare(path, outcome, json_out=json_out)
