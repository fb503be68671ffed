"""``raafperf profile``: run a scenario under pyinstrument and/or memray, one profiler per pass.

Passes, each a complete bench run with its own run folder (profiles land next to the run they
belong to and are listed in its summary.json):

1. reference (unless ``overhead=False``): no profiler, to measure what each profiler adds;
2. cpu: pyinstrument, async-aware;
3. memory: memray (never in the same pass as pyinstrument: each hooks the interpreter).

Every pass runs in one process (``workers=1``: the profilers see only their own process) and in
one round, so each variant is one segment and one profile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.profiling.artifacts import add_to_summary
from raafperf.profiling.cpu import CpuProfiler
from raafperf.profiling.hotspots import CpuHotspots
from raafperf.profiling.memory import MemoryProfiler, MemoryReport
from raafperf.profiling.overhead import compare_passes

PROFILES_DIR = "profiles"


@dataclass
class ProfileOptions:
    cpu: bool = True
    memory: bool = False
    interval: float = 0.001
    """pyinstrument's sampling interval, seconds."""
    native: bool = False
    trace_python_allocators: bool = True
    """Object-level tracking: exact sites and per-request memory (memray's default is off)."""
    follow_fork: bool = False
    memory_interval_ms: int = 10
    out_root: Path = Path("reports")
    variant: str | None = None
    overhead: bool = True
    top: int = 15
    own_package: str = "raafperf"
    prices: Path | None = None
    on_progress: Callable[[dict[str, Any]], None] | None = None
    on_pass: Callable[[str], None] | None = None
    """Told the name of each pass as it begins ("reference", "cpu", "memory")."""


@dataclass
class PassResult:
    kind: str
    run_dir: Path
    summary: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    cpu: dict[str, CpuHotspots] = field(default_factory=dict)
    memory: dict[str, MemoryReport] = field(default_factory=dict)
    overhead: dict[str, Any] | None = None


@dataclass
class ProfileResult:
    passes: list[PassResult] = field(default_factory=list)

    def get(self, kind: str) -> PassResult | None:
        return next((p for p in self.passes if p.kind == kind), None)


def run_profile(loaded: Any, options: ProfileOptions) -> ProfileResult:
    """Run the passes the options ask for; return what each found."""
    from raafperf.engine.bench import select_variants

    names = list(select_variants(loaded, options.variant))
    result = ProfileResult()
    reference = None
    if options.overhead:
        reference = _bench(loaded, options, "reference", instrument=None)
        result.passes.append(PassResult("reference", reference.run_dir, reference.summary))
    if options.cpu:
        cpu = CpuProfiler(options.interval)
        outcome = _bench(loaded, options, "cpu", instrument=cpu)
        _name_passes(cpu.sessions, names)
        files = cpu.save(outcome.run_dir / PROFILES_DIR, relative_to=outcome.run_dir)
        hot = {v: cpu.hotspots(v, own_package=options.own_package) for v in cpu.sessions}
        done = PassResult("cpu", outcome.run_dir, outcome.summary, files, cpu=hot)
        done.overhead = compare_passes(reference.summary, outcome.summary) if reference else None
        extra = {
            "kind": "cpu",
            "profiler": "pyinstrument",
            "interval_s": options.interval,
            "variants": {v: h.to_dict(options.top, options.own_package) for v, h in hot.items()},
        }
        _finish(done, extra, reference)
        result.passes.append(done)
    if options.memory:
        work = options.out_root / ".memray-work"
        mem = MemoryProfiler(
            work,
            native=options.native,
            trace_python_allocators=options.trace_python_allocators,
            follow_fork=options.follow_fork,
            memory_interval_ms=options.memory_interval_ms,
        )
        outcome = _bench(loaded, options, "memory", instrument=mem)
        _name_passes(mem.captures, names)
        for name, cap in mem.captures.items():
            cap.variant = name
        files = mem.save(
            outcome.run_dir / PROFILES_DIR,
            relative_to=outcome.run_dir,
            top=options.top,
            own_package=options.own_package,
        )
        _remove_empty(work)
        reports = {
            v: _memory_report(mem, v, outcome, options.top, options.own_package)
            for v in mem.captures
        }
        done = PassResult("memory", outcome.run_dir, outcome.summary, files, memory=reports)
        done.overhead = compare_passes(reference.summary, outcome.summary) if reference else None
        extra = {
            "kind": "memory",
            "profiler": "memray",
            "native": options.native,
            "trace_python_allocators": options.trace_python_allocators,
            "variants": {v: r.to_dict() for v, r in reports.items()},
        }
        _finish(done, extra, reference)
        result.passes.append(done)
    return result


def _bench(loaded: Any, options: ProfileOptions, kind: str, instrument: Any) -> Any:
    from raafperf.engine.bench import BenchOptions, run_bench

    if options.on_pass is not None:
        options.on_pass(kind)
    bench_options = BenchOptions(
        out_root=options.out_root,
        variant=options.variant,
        rounds=1,
        workers=1,
        instrument=instrument,
        prices=options.prices,
        on_progress=options.on_progress,
    )
    return run_bench(loaded, bench_options)


def _finish(done: PassResult, extra: dict[str, Any], reference: Any) -> None:
    if reference is not None:
        extra["reference_run"] = str(reference.run_dir)
        extra["overhead"] = done.overhead
    done.summary = add_to_summary(done.run_dir, done.files, {"profile": extra})


def _name_passes(store: dict[str, Any], names: list[str]) -> None:
    """Name the passes after their variants: with one round they ran in the variants' order."""
    keys = list(store)
    if len(keys) != len(names) or not all(k.startswith("pass") for k in keys):
        return
    items = [store[k] for k in keys]
    store.clear()
    store.update(zip(names, items, strict=True))


def _memory_report(
    mem: MemoryProfiler, variant: str, outcome: Any, top: int, own_package: str
) -> MemoryReport:
    from raafperf.record.store import load_run

    requests = load_run(outcome.run_dir).requests()
    rows = requests[requests["variant"] == variant]
    cap = mem.captures[variant]
    starts = rows["start_ns"].to_numpy()
    ends = rows["end_ns"].to_numpy()
    origin = (outcome.summary.get("clock") or {}).get("t0_perf_ns")
    if origin is None and len(rows):
        # Request times are relative to the run's start; the tracker started just before
        # the segment's first request, which pins that start to within a fraction of a ms.
        origin = cap.perf_ns - int(starts.min())
    return mem.report(
        variant,
        starts_ns=starts + (origin or 0),
        ends_ns=ends + (origin or 0),
        top=top,
        own_package=own_package,
    )


def _remove_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()
