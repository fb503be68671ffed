"""Open saved runs and pull one variant's samples out as numpy arrays.

Latency statistics use the measured (non-warm-up) requests that succeeded; the error rate
and cost use every measured request. ITL pools the token gaps of the successful requests'
model calls and remembers which request each gap came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from raafperf.analysis.bootstrap import Clustered
from raafperf.errors import RunStoreError, UsageError


class RunLike(Protocol):
    """What analysis needs of a saved run (``raafperf.record.store.SavedRun`` fits)."""

    path: Path
    summary: dict[str, Any]

    def requests(self) -> Any: ...

    def calls(self) -> Any: ...


def open_run(source: str | os.PathLike[str] | RunLike, *, root: str | Path = "reports") -> RunLike:
    """A saved run from a run object, its folder, its summary.json, or its name under ``root``."""
    if not isinstance(source, str | os.PathLike):
        return source
    from raafperf.record.store import load_run

    path = Path(source)
    if not path.exists() and not path.is_absolute() and len(path.parts) == 1:
        under_root = Path(root) / path
        if under_root.exists():
            path = under_root
    if not path.exists():
        raise RunStoreError(
            f"{source}: no such run (give a run folder, its summary.json, or "
            f"a run name under {root}/)"
        )
    return load_run(path)


def variant_names(run: RunLike) -> list[str]:
    names = list((run.summary.get("variants") or {}).keys())
    return names or ["baseline"]


def scenario_name(run: RunLike) -> str:
    return str((run.summary.get("scenario") or {}).get("name") or run.path.name)


def scenario_gate(run: RunLike) -> dict[str, str]:
    config = (run.summary.get("scenario") or {}).get("config") or {}
    gate = config.get("gate") or {}
    return {str(k): str(v) for k, v in gate.items()}


@dataclass
class VariantSamples:
    """One variant of one run, as arrays (times in seconds from the first measured start)."""

    variant: str
    measured: int
    ok: int
    errors: int
    errors_by_kind: dict[str, int]
    ttft_ms: Any
    e2e_ms: Any
    itl: Clustered
    cost_usd: Any
    window_s: float
    start_s: Any = field(repr=False)
    end_s: Any = field(repr=False)
    ok_mask: Any = field(repr=False)
    error_kind: Any = field(repr=False)
    agent: Any = field(repr=False)
    row_e2e_ms: Any = field(repr=False)
    """e2e of every measured row (NaN where it failed), aligned with ``end_s``."""


def _finite(values: Any) -> Any:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


def variant_samples(run: RunLike, variant: str) -> VariantSamples:
    import numpy as np

    req = run.requests()
    if "variant" not in req.columns:
        raise RunStoreError(f"{run.path}: requests.parquet has no 'variant' column")
    req = req[req["variant"].astype(str) == variant]
    if req.empty:
        have = sorted(set(run.requests()["variant"].astype(str)))
        raise UsageError(
            f"{run.path}: no variant {variant!r} (this run has: {', '.join(have) or 'no requests'})"
        )
    measured = req[req["phase"].astype(str) != "warmup"]
    ok_mask = measured["ok"].to_numpy(dtype=bool)
    ok = measured[ok_mask]
    kinds = measured["error_kind"].astype(str).to_numpy()
    by_kind: dict[str, int] = {}
    for kind in kinds[~ok_mask]:
        by_kind[kind or "unknown"] = by_kind.get(kind or "unknown", 0) + 1

    start = measured["start_ns"].to_numpy(dtype=np.int64)
    end = measured["end_ns"].to_numpy(dtype=np.int64)
    t0 = int(start.min()) if start.size else 0
    t1 = int(end.max()) if end.size else 0
    return VariantSamples(
        variant=variant,
        measured=len(measured),
        ok=int(ok_mask.sum()),
        errors=int((~ok_mask).sum()),
        errors_by_kind=dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
        ttft_ms=_finite(ok["ttft_ms"]),
        e2e_ms=_finite(ok["e2e_ms"]),
        itl=_itl(run, variant, set(ok["idx"].tolist())),
        cost_usd=_finite(measured["cost_usd"]),
        window_s=(t1 - t0) / 1e9,
        start_s=(start - t0) / 1e9,
        end_s=(end - t0) / 1e9,
        ok_mask=ok_mask,
        error_kind=kinds,
        agent=measured["agent"].astype(str).to_numpy(),
        row_e2e_ms=np.where(ok_mask, measured["e2e_ms"].to_numpy(dtype=float), np.nan),
    )


def _itl(run: RunLike, variant: str, ok_idx: set[int]) -> Clustered:
    import numpy as np
    import pandas as pd

    empty = Clustered(np.empty(0), np.empty(0, dtype=np.int64))
    calls = run.calls()
    if calls is None or calls.empty or "itl_ms" not in calls.columns:
        return empty
    calls = calls[
        (calls["variant"].astype(str) == variant) & (calls["kind"].astype(str) == "model")
    ]
    calls = calls[calls["request_idx"].isin(ok_idx)]
    gaps = [
        np.asarray(g, dtype=float) if g is not None else np.empty(0)
        for g in calls["itl_ms"].tolist()
    ]
    if not gaps:
        return empty
    lengths = np.fromiter((g.size for g in gaps), dtype=np.int64, count=len(gaps))
    codes, _ = pd.factorize(calls["request_idx"])
    values = np.concatenate(gaps) if lengths.sum() else np.empty(0)
    clusters = np.repeat(codes.astype(np.int64), lengths)
    keep = np.isfinite(values)
    if not keep.all():
        values, clusters = values[keep], clusters[keep]
        _, clusters = np.unique(clusters, return_inverse=True)
    return Clustered(values, clusters)
