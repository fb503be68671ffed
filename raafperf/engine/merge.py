"""Merging what several workers measured — local processes or Ray actors alike.

A worker sends its rows in chunks as it goes (after each segment and every few seconds), then
a final result with its statistics. The parent joins each worker's chunks, renumbers the
requests so numbers stay unique per variant, and merges rows exactly (rows, not averages).
A worker that failed keeps the rows it had sent and is named in ``workers.lost`` with its
planned share and what arrived, so a loss is never a silent gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from raafperf.engine.loop import SegmentResult
from raafperf.record.recorder import Recorder, Table, new_calls_table, new_requests_table

# Keys whose values are ratios or summaries: averaged across workers, not summed.
_AVERAGED = (
    "rate",
    "mean",
    "share",
    "ratio",
    "per_",
    "avg",
    "p50",
    "p90",
    "p95",
    "p99",
    "stddev",
    "ewma",
    "min",
    "max",
)


@dataclass
class Chunk:
    """The rows (and finished segments) a worker recorded since its previous chunk."""

    worker: int
    requests: Table
    calls: Table
    segments: dict[str, list[SegmentResult]] = field(default_factory=dict)
    live_state: dict[str, Any] | None = None
    """The layers' live state (router, cache) for a Prometheus exporter in the parent."""


@dataclass
class WorkerResult:
    """All a worker sends, or the parent's account of it; ``error`` set: the worker failed
    (its rows so far are kept)."""

    worker: int
    requests: Table | None = None
    calls: Table | None = None
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, list[SegmentResult]] = field(default_factory=dict)
    interrupted: bool = False
    error: str | None = None


def assemble(
    worker: int, chunks: Iterable[Chunk], final: WorkerResult | None, *, error: str | None = None
) -> WorkerResult:
    """One worker's whole result: its chunks in order, then its final part (None: it died)."""
    requests, calls = new_requests_table(), new_calls_table()
    segments: dict[str, list[SegmentResult]] = {}
    parts: list[Any] = list(chunks)
    if final is not None:
        parts.append(final)
    for part in parts:
        if part.requests is not None:
            requests.extend(part.requests)
        if part.calls is not None:
            calls.extend(part.calls)
        for name, segs in part.segments.items():
            segments.setdefault(name, []).extend(segs)
    result = WorkerResult(worker=worker, requests=requests, calls=calls, segments=segments)
    if final is not None:
        result.stats = final.stats
        result.interrupted = final.interrupted
        result.error = final.error
    if error is not None:
        result.error = error
    return result


def renumber(requests: Table, calls: Table, offsets: dict[str, int]) -> dict[str, int]:
    """Shift this worker's request numbers by ``offsets[variant]``; return, per variant, the
    span of numbers it used (highest + 1), so the next worker's numbers never collide even
    when a cancelled request left a gap."""
    spans: dict[str, int] = {}
    idx = requests.ints["idx"]
    for i, variant in enumerate(requests.strs["variant"]):
        original = idx[i]
        if original + 1 > spans.get(variant, 0):
            spans[variant] = original + 1
        idx[i] = original + offsets.get(variant, 0)
    ridx = calls.ints["request_idx"]
    for i, variant in enumerate(calls.strs["variant"]):
        ridx[i] += offsets.get(variant, 0)
    return spans


def merge_results(
    collected: dict[int, WorkerResult],
    workers: int,
    recorder: Recorder,
    states: dict[str, Any],
    stats: dict[str, dict[str, Any]],
    *,
    backend: str = "processes",
    planned: dict[int, dict[str, dict[str, Any]]] | None = None,
    labels: dict[int, dict[str, Any]] | None = None,
) -> bool:
    """Merge every worker's rows into ``recorder``, segments into ``states`` and statistics
    into ``stats``; True when a worker was interrupted. Each variant's ``stats[...]
    ["workers"]`` says how many ran and which were lost: ``{"worker", <labels>, "reason",
    "planned", "received", "kept"}`` (``planned``: its share of the variant's load)."""
    interrupted = False
    offsets: dict[str, int] = {name: 0 for name in states}
    per_variant_stats: dict[str, list[dict[str, Any]]] = {name: [] for name in states}
    lost: dict[str, list[dict[str, Any]]] = {name: [] for name in states}
    for w in range(workers):
        res = collected.get(w) or WorkerResult(worker=w, error="no result arrived")
        interrupted |= res.interrupted
        received = _row_counts(res)
        if res.requests is not None and res.calls is not None and len(res.requests):
            spans = renumber(res.requests, res.calls, offsets)
            recorder.requests.extend(res.requests)
            recorder.calls.extend(res.calls)
            recorder.recorded += len(res.requests)
            for name, n in spans.items():
                offsets[name] = offsets.get(name, 0) + n
        for name, segments in res.segments.items():
            if name in states:
                states[name].segments.extend(segments)
        for name, s in res.stats.items():
            per_variant_stats.setdefault(name, []).append(s)
        if res.error is not None:
            for name in states:
                got = received.get(name, (0, 0))
                lost[name].append(
                    {
                        "worker": w,
                        **(labels or {}).get(w, {}),
                        "reason": res.error,
                        "planned": ((planned or {}).get(w) or {}).get(name),
                        "received": {
                            "requests": got[0],
                            "calls": got[1],
                            "segments": len(res.segments.get(name, [])),
                        },
                        "kept": got[0] > 0,
                    }
                )
    for name in states:
        merged = merge_stats(per_variant_stats.get(name, []))
        merged["workers"] = {"count": workers, "backend": backend, "lost": lost[name]}
        stats[name] = merged
    recorder.live.done = len(recorder.requests)
    return interrupted


def _row_counts(res: WorkerResult) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = {}
    if res.requests is not None:
        for v in res.requests.strs["variant"]:
            counts.setdefault(v, [0, 0])[0] += 1
    if res.calls is not None:
        for v in res.calls.strs["variant"]:
            counts.setdefault(v, [0, 0])[1] += 1
    return {k: (a, b) for k, (a, b) in counts.items()}


def planned_shares(
    states: dict[str, Any], rounds: int, workers: int
) -> dict[int, dict[str, dict[str, Any]]]:
    """Each worker's share of each variant, as the engine plans it: requests (warm-up
    included; None when bounded by duration), closed-loop users, open-loop rate."""
    from raafperf.engine.bench import VariantState, segment_plan

    out: dict[int, dict[str, dict[str, Any]]] = {}
    for w in range(workers):
        per: dict[str, dict[str, Any]] = {}
        for name, state in states.items():
            probe = VariantState(name, state.scenario, state.queries)
            requests: int | None = 0
            users = rate = None
            for rnd in range(rounds):
                plan = segment_plan(probe, rnd, rounds, w, workers)
                if plan is None:
                    continue
                if plan.requests is None:
                    requests = None
                elif requests is not None:
                    requests += plan.requests
                users = plan.concurrency
                rate = plan.rate
            per[name] = {"requests": requests, "users": users, "rate_per_s": rate}
        out[w] = per
    return out


def loss_lines(summary: dict[str, Any]) -> list[str]:
    """One line per lost worker and variant, for the terminal (empty when none was lost)."""
    lines: list[str] = []
    for name, variant in (summary.get("variants") or {}).items():
        for item in (variant.get("workers") or {}).get("lost") or []:
            who = item.get("actor") or f"worker {item['worker']}"
            where = f" on {item['hostname']}" if item.get("hostname") else ""
            planned = (item.get("planned") or {}).get("requests")
            got = (item.get("received") or {}).get("requests", 0)
            share = (
                f"of its {planned:,} planned requests" if planned is not None else "of its share"
            )
            what = (
                f"{got:,} {share} arrived and are in the report" if got else f"none {share} arrived"
            )
            lines.append(f"{name}: {who}{where} failed ({item['reason']}); {what}")
    return lines


def merge_stats(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts add up; ratios and percentiles are averaged (approximate, marked as such);
    lists are concatenated; other values keep the first worker's."""
    if not items:
        return {}
    if len(items) == 1:
        return dict(items[0])
    return _merge_values(items, "")


def _merge_values(values: list[Any], key: str) -> Any:
    first = values[0]
    if isinstance(first, dict):
        keys: list[str] = []
        for v in values:
            if isinstance(v, dict):
                keys.extend(k for k in v if k not in keys)
        return {
            k: _merge_values([v[k] for v in values if isinstance(v, dict) and k in v], k)
            for k in keys
        }
    if isinstance(first, bool) or first is None:
        return first
    if isinstance(first, int | float):
        nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if any(part in key for part in _AVERAGED):
            if key.startswith("max") or key.endswith("_max"):
                return max(nums)
            if key.startswith("min") or key.endswith("_min"):
                return min(nums)
            return sum(nums) / len(nums)
        return sum(nums)
    if isinstance(first, list):
        out: list[Any] = []
        for v in values:
            if isinstance(v, list):
                out.extend(v)
        return out
    return first
