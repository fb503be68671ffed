"""Assemble summary.json from the recorded samples and each layer's statistics, and save."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from raafperf import __version__
from raafperf.record.machine import machine_info
from raafperf.record.recorder import Recorder
from raafperf.record.store import CALLS, REQUESTS, SCHEMA_VERSION, write_table
from raafperf.scenario.loader import BASELINE, LoadedScenario

log = logging.getLogger(__name__)


def build_summary(
    loaded: LoadedScenario,
    states: dict[str, Any],
    stats: dict[str, dict[str, Any]],
    recorder: Recorder,
    *,
    run_dir: Path,
    started_at: dt.datetime,
    interrupted: bool,
    rounds: int,
    workers: int = 1,
    price_table: Any = None,
) -> dict[str, Any]:
    from raafperf.analysis.summarize import summarize_variant
    from raafperf.engine.costing import load_price_table

    if price_table is None:
        price_table = load_price_table(
            loaded.resolve(loaded.scenario.prices) if loaded.scenario.prices else None
        )

    requests, calls = _frames(run_dir, recorder)
    for df in (requests, calls):
        for col in df.columns:
            if str(df[col].dtype) == "category":
                df[col] = df[col].astype(str)
    variants: dict[str, Any] = {}
    only_one = len(states) == 1
    for name, state in states.items():
        req_v = requests[requests["variant"] == name] if len(requests) else requests
        calls_v = calls[calls["variant"] == name] if len(calls) else calls
        scenario = state.scenario
        load = scenario.load
        summary = summarize_variant(
            req_v,
            calls_v,
            wall_s=sum(s.wall_s for s in state.segments),
            cpu_s=sum(s.cpu_s for s in state.segments),
            target_concurrency=load.concurrency if load.mode == "closed" else None,
            slo=scenario.slo.model_dump(),
            thresholds=scenario.thresholds,
        )
        summary["load"] = {
            "mode": load.mode,
            "concurrency": load.concurrency,
            "rate": load.rate,
            "arrival": load.arrival,
        }
        summary.update(stats.get(name, {}))
        if "gc" in summary:
            from raafperf.profiling.gc_monitor import summarize_gc

            measured = req_v[req_v["phase"] == "measure"] if len(req_v) else None
            summary["gc"] = summarize_gc(summary["gc"], measured, recorder.t0_ns)
        _add_area_summaries(summary, req_v, calls_v, scenario, price_table)
        summary["generator"] = _generator_health(summary, state, req_v)
        # Thresholds gate the baseline; a variant alone (--variant) is gated itself.
        summary["gated"] = only_one or name == BASELINE
        if "cost" in summary and scenario.thresholds:
            from raafperf.analysis.summarize import check_thresholds

            summary["thresholds"] = check_thresholds(summary, scenario.thresholds)
        variants[name] = summary
    return {
        "schema_version": SCHEMA_VERSION,
        "raafperf_version": __version__,
        "run_id": run_dir.name,
        "percentile_method": "nearest-rank",
        "scenario": {
            "name": loaded.scenario.name,
            "path": str(loaded.path),
            "sha256": loaded.sha256,
            "profile": loaded.profile,
            "config": loaded.scenario.model_dump(mode="json"),
        },
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "clock": {
            "t0_perf_ns": recorder.t0_ns,
            "note": "sample times are ns after t0 on time.perf_counter_ns()",
        },
        "rounds": rounds,
        "workers": workers,
        "machine": machine_info(str(loaded.base_dir)),
        "files": {"requests": REQUESTS, "calls": CALLS},
        "variants": variants,
    }


def _frames(run_dir: Path, recorder: Recorder) -> tuple[Any, Any]:
    """The samples as DataFrames: from the saved files when they exist (a spilled run)."""
    import pandas as pd

    if (run_dir / REQUESTS).exists() and (run_dir / CALLS).exists():
        return pd.read_parquet(run_dir / REQUESTS), pd.read_parquet(run_dir / CALLS)
    return recorder.requests.to_arrow().to_pandas(), recorder.calls.to_arrow().to_pandas()


def _add_area_summaries(
    summary: dict[str, Any], requests: Any, calls: Any, scenario: Any, price_table: Any
) -> None:
    """Each area adds its own section; one that fails is reported, not fatal."""
    measured = requests[requests["phase"] == "measure"]
    ids = set(measured["idx"].tolist())
    mcalls = calls[calls["request_idx"].isin(ids)]
    for section, fn in _area_functions():
        try:
            value = fn(measured, mcalls, scenario, price_table)
        except Exception as exc:  # an area's bug must not lose a run's samples
            log.debug("summary section %s failed", section, exc_info=True)
            value = {"error": f"{exc.__class__.__name__}: {exc}"}
        if value is not None:
            summary[section] = value


def _area_functions() -> list[tuple[str, Any]]:
    return [("cost", _cost_section), ("agents", _agents_section), ("stages_ms", _stages_section)]


def _cost_section(requests: Any, calls: Any, scenario: Any, table: Any) -> Any:
    from raafperf.cost.summary import summarize_costs

    return summarize_costs(
        calls,
        requests,
        table,
        {p.name: p.price_multiplier for p in scenario.providers},
        agent_models={a.name: a.model for a in scenario.agents},
        per_request_usd=scenario.budget.per_request_usd,
    )


def _agents_section(requests: Any, calls: Any, scenario: Any, table: Any) -> Any:
    from raafperf.agents.summary import summarize_agents

    return summarize_agents(requests, calls)


def _stages_section(requests: Any, calls: Any, scenario: Any, table: Any) -> Any:
    try:
        from raafperf.profiling.stages import summarize_stages
    except ImportError:
        return None
    return summarize_stages(requests, calls)


def _generator_health(summary: dict[str, Any], state: Any, requests: Any = None) -> dict[str, Any]:
    """Was the load generator itself the limit? CPU saturation, open-loop lag and the client's
    own overhead before each request reached the socket say so."""
    from raafperf.analysis.stats import describe

    wall = sum(s.wall_s for s in state.segments) or 0.0
    cpu = sum(s.cpu_s for s in state.segments)
    cpu_share = cpu / wall if wall > 0 else 0.0
    lag = summary.get("scheduler_lag_ms") or {}
    loop_lag = summary.pop("event_loop_lag_ms", None) or {}
    closed = state.scenario.load.mode == "closed"
    overhead = describe([])
    if requests is not None and len(requests) and "client_overhead_ms" in requests.columns:
        measured = requests[requests["phase"] == "measure"]
        overhead = describe(measured["client_overhead_ms"].astype(float).to_numpy())
    warnings: list[str] = []
    if (loop_lag.get("p99") or 0) > 5:
        warnings.append(
            f"the client's event loop woke up to {loop_lag['p99']:.1f} ms late (p99): "
            "timestamps carry that much of the generator's own delay"
        )
    if cpu_share >= 0.9:
        warnings.append(
            f"the client used {cpu_share:.0%} of a CPU core: the generator, not the target, "
            "may have been the limit (try --workers)"
        )
    if not closed and (lag.get("p95") or 0) > 10:
        warnings.append(
            f"open-loop scheduler lag p95 {lag['p95']:.1f} ms: requests started later than "
            "scheduled; latencies are measured from the intended start"
        )
    if (overhead.get("p99") or 0) > 5:
        warnings.append(
            f"requests reached the socket up to {overhead['p99']:.1f} ms (p99) after they "
            "started, on the client's own account: "
            + (
                "left out of TTFT/E2E (closed loop), but the generator is busy (try --workers)"
                if closed
                else "counted in TTFT/E2E (open loop: measured from the schedule)"
            )
        )
    return {
        "cpu_share": cpu_share,
        "event_loop_lag_ms": loop_lag,
        "max_in_flight": max((s.max_in_flight for s in state.segments), default=0),
        "latency_origin": "sent" if closed else "intended",
        "latency_origin_note": (
            "closed loop: TTFT/E2E start when the first request reached the socket, less "
            "the waits the scenario models (agent pool, cache lookup, rate limits, connection "
            "pool, connect+TLS); a cache hit starts at the request's start"
            if closed
            else "open loop: TTFT/E2E start at the intended (scheduled) start"
        ),
        "client_overhead_ms": overhead,
        "saturated": bool(warnings),
        "warnings": warnings,
    }


def save_samples(run_dir: Path, recorder: Recorder) -> None:
    if recorder.spill is not None:
        recorder.spill.finish(
            recorder.requests, recorder.calls, run_dir / REQUESTS, run_dir / CALLS
        )
    else:
        write_table(run_dir / REQUESTS, recorder.requests)
        write_table(run_dir / CALLS, recorder.calls)
