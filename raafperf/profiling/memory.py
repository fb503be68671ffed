"""Memory profiling with memray: an instrument for the engine, then a flame graph and figures.

memray's ``Tracker`` hides, on the thread that starts it, as many outer frames as that thread
had when it started (meant for ``memray run``'s own frames). Started inside a coroutine this
hides the whole stack of every later allocation of the event loop (the request tasks' stacks
are shallower than the starter's), so reports showed no frames at all. The tracker is
therefore started and stopped from a short-lived helper thread: the hiding applies to that
thread only, and the event loop's stacks are complete (memray hooks every thread).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raafperf.errors import RunStoreError
from raafperf.profiling.guard import profiler_slot
from raafperf.profiling.memory_estimate import per_request_memory
from raafperf.profiling.paths import in_package, module_of, short_path

MAX_STACK = 512
Frame = tuple[str, str, int]
"""(function, file, line) as memray gives it."""


@dataclass(slots=True)
class Capture:
    variant: str
    path: Path
    wall_ns: int
    """time.time_ns() when tracking began: memray's snapshot times are wall-clock ms."""
    perf_ns: int
    """time.perf_counter_ns() at the same moment, to put snapshots on the requests' clock."""


@dataclass(slots=True)
class Site:
    name: str
    location: str
    bytes: int
    allocations: int
    via: str = ""
    """The innermost frame of the own package on the stack (how raafperf got there)."""

    @property
    def function(self) -> str:
        return self.name.rsplit(":", 1)[-1]


@dataclass(slots=True)
class MemoryReport:
    variant: str
    peak_bytes: int
    """memray's high-water mark of memory allocated while tracking (the heap it saw)."""
    total_allocated_bytes: int
    allocations: int
    rss_start_bytes: int | None
    rss_peak_bytes: int | None
    top_at_peak: list[Site] = field(default_factory=list)
    top_allocated: list[Site] = field(default_factory=list)
    per_request: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def rows(sites: list[Site]) -> list[dict[str, Any]]:
            return [
                {
                    "site": s.name,
                    "location": s.location,
                    "bytes": s.bytes,
                    "allocations": s.allocations,
                    "via": s.via,
                }
                for s in sites
            ]

        return {
            "peak_bytes": self.peak_bytes,
            "total_allocated_bytes": self.total_allocated_bytes,
            "allocations": self.allocations,
            "rss_start_bytes": self.rss_start_bytes,
            "rss_peak_bytes": self.rss_peak_bytes,
            "top_at_peak": rows(self.top_at_peak),
            "top_allocated": rows(self.top_allocated),
            "per_request": self.per_request,
        }


class MemoryProfiler:
    """Call it (optionally with the variant name) for an async context manager per variant."""

    kind = "memory"

    def __init__(
        self,
        work_dir: Path,
        *,
        native: bool = False,
        trace_python_allocators: bool = False,
        follow_fork: bool = False,
        memory_interval_ms: int = 10,
    ) -> None:
        self.work_dir = work_dir
        self.native = native
        self.trace_python_allocators = trace_python_allocators
        self.follow_fork = follow_fork
        self.memory_interval_ms = memory_interval_ms
        self.captures: dict[str, Capture] = {}
        self._analysed: dict[str, tuple[MemoryReport, list[Any]]] = {}

    def __call__(self, variant: str | None = None) -> contextlib.AbstractAsyncContextManager[None]:
        name = variant or f"pass{len(self.captures) + 1}"
        k = 2
        while name in self.captures:  # a variant run in several segments: one capture each
            name, k = f"{variant}-{k}", k + 1
        return self._profile(name)

    @contextlib.asynccontextmanager
    async def _profile(self, name: str) -> AsyncIterator[None]:
        import memray

        with profiler_slot("memray"):
            self.work_dir.mkdir(parents=True, exist_ok=True)
            path = self.work_dir / f"memray-{name}-{os.getpid()}.bin"
            tracker = memray.Tracker(
                destination=memray.FileDestination(path, overwrite=True),
                native_traces=self.native,
                trace_python_allocators=self.trace_python_allocators,
                follow_fork=self.follow_fork,
                memory_interval_ms=self.memory_interval_ms,
            )
            _in_helper_thread(tracker.__enter__)
            self.captures[name] = Capture(name, path, time.time_ns(), time.perf_counter_ns())
            try:
                yield
            finally:
                _in_helper_thread(lambda: tracker.__exit__(None, None, None))

    def save(
        self,
        dest: Path,
        *,
        relative_to: Path | None = None,
        top: int = 15,
        own_package: str = "raafperf",
    ) -> dict[str, str]:
        """Move each capture into ``dest``, write its peak-memory flame graph (HTML) and
        analyse it (one read of the capture serves both)."""
        dest.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        for variant, cap in self.captures.items():
            moved = dest / f"memray-{variant}.bin"
            if cap.path != moved:
                os.replace(cap.path, moved)
                for child in sorted(cap.path.parent.glob(cap.path.name + ".*")):
                    # follow_fork: one capture per forked child, named <file>.<pid>
                    target = dest / f"memray-{variant}.bin.{child.name.rsplit('.', 1)[-1]}"
                    os.replace(child, target)
                    key = f"memory_capture_{variant}_{target.suffix[1:]}"
                    files[key] = _rel(target, relative_to)
                cap.path = moved
            html = dest / f"memory-{variant}-flamegraph.html"
            self._analysed[variant] = analyse_capture(
                cap, html=html, top=top, own_package=own_package
            )
            files[f"memory_flamegraph_{variant}"] = _rel(html, relative_to)
            files[f"memory_capture_{variant}"] = _rel(moved, relative_to)
        return files

    def report(
        self,
        variant: str | None = None,
        *,
        starts_ns: Any = None,
        ends_ns: Any = None,
        top: int = 15,
        own_package: str = "raafperf",
    ) -> MemoryReport:
        """Figures of one variant's capture; with the requests' windows (``perf_counter_ns``
        clock), also the memory per request in flight."""
        if not self.captures:
            raise LookupError("nothing was profiled")
        name = variant or next(iter(self.captures))
        cap = self.captures[name]
        if name not in self._analysed:
            self._analysed[name] = analyse_capture(cap, top=top, own_package=own_package)
        report, snapshots = self._analysed[name]
        report = dataclasses.replace(report)
        if starts_ns is not None and ends_ns is not None and snapshots:
            # memray stamps snapshots in wall-clock ms; move them onto the perf_counter clock.
            times = [cap.perf_ns + (s.time * 1_000_000 - cap.wall_ns) for s in snapshots]
            report.per_request = per_request_memory(
                times, [s.heap for s in snapshots], starts_ns, ends_ns
            )
        return report


def analyse_capture(
    cap: Capture, *, html: Path | None = None, top: int = 15, own_package: str = "raafperf"
) -> tuple[MemoryReport, list[Any]]:
    """The report (without per-request figures) and the memory snapshots of a capture; with
    ``html``, also memray's high-water-mark flame graph, scripts inlined (opens offline)."""
    from memray import FileReader
    from memray._memray import compute_statistics  # pinned memray: internal API

    try:
        reader = FileReader(os.fspath(cap.path))
        meta = reader.metadata
        snapshots = list(reader.get_memory_snapshots())
        # Replaying the capture to its high-water mark is the slow part: do it once.
        records = list(reader.get_high_watermark_allocation_records(merge_threads=True))
        at_peak = _sites(records, own_package)
        if html is not None:
            _write_flamegraph(reader, records, snapshots, html)
        stats = compute_statistics(os.fspath(cap.path), num_largest=3 * top)
    except (OSError, RuntimeError, ValueError) as exc:
        raise RunStoreError(f"cannot read the memory capture {cap.path}: {exc}") from exc
    report = MemoryReport(
        variant=cap.variant,
        peak_bytes=int(meta.peak_memory),
        total_allocated_bytes=int(stats.total_memory_allocated),
        allocations=int(stats.total_num_allocations),
        rss_start_bytes=int(snapshots[0].rss) if snapshots else None,
        rss_peak_bytes=max(int(s.rss) for s in snapshots) if snapshots else None,
        top_at_peak=sorted(at_peak, key=lambda s: s.bytes, reverse=True)[:top],
        top_allocated=_by_function(stats.top_locations_by_size)[:top],
    )
    return report, snapshots


def _write_flamegraph(reader: Any, records: list[Any], snapshots: list[Any], html: Path) -> None:
    from memray.reporters.flamegraph import FlameGraphReporter  # pinned memray: internal API

    reporter = FlameGraphReporter.from_snapshot(
        records,
        memory_records=tuple(snapshots),
        native_traces=reader.metadata.has_native_traces,
        merge_threads=True,
        inverted=False,
    )
    with open(html, "w", encoding="utf-8") as out:
        reporter.render(
            outfile=out,
            metadata=reader.metadata,
            show_memory_leaks=False,
            merge_threads=True,
            inverted=False,
            no_web=True,
        )


def _sites(records: Any, own_package: str) -> list[Site]:
    """Group allocations by function (the line that allocated most is the one shown)."""
    table: dict[tuple[str, str], tuple[Site, dict[int, int]]] = {}
    for rec in records:
        stack = rec.stack_trace(max_stacks=MAX_STACK)
        (fn, file, line), via = _site_of(stack, own_package)
        entry = table.get((fn, file))
        if entry is None:
            entry = table[(fn, file)] = (Site(_site_name(fn, file), "", 0, 0, via), {})
        site, lines = entry
        site.bytes += int(rec.size)
        site.allocations += int(rec.n_allocations)
        lines[line] = lines.get(line, 0) + int(rec.size)
    out = []
    for (_, file), (site, lines) in table.items():
        line = max(lines, key=lambda k: lines[k])
        site.location = f"{short_path(file)}:{line}" if file else "(no Python frame)"
        out.append(site)
    return out


def _by_function(top_locations: Any) -> list[Site]:
    """memray's per-line totals, grouped by function like the peak's sites."""
    table: dict[tuple[str, str], tuple[Site, dict[int, int]]] = {}
    for (fn, file, line), size in top_locations:
        entry = table.get((fn, file))
        if entry is None:
            entry = table[(fn, file)] = (Site(_site_name(fn, file), "", 0, 0), {})
        entry[0].bytes += int(size)
        entry[1][line] = entry[1].get(line, 0) + int(size)
    out = []
    for (_, file), (site, lines) in table.items():
        site.location = f"{short_path(file)}:{max(lines, key=lambda k: lines[k])}"
        out.append(site)
    return sorted(out, key=lambda s: s.bytes, reverse=True)


def _site_of(stack: list[Frame], own_package: str) -> tuple[Frame, str]:
    if not stack:
        return ("(allocated outside Python code)", "", 0), ""
    i = _skip_inner(stack, 0)
    # How the own package got there: its innermost frame at or above the site.
    via = ""
    for j in range(i, len(stack)):
        if in_package(stack[j][1], own_package):
            fn, file, _ = stack[_skip_inner(stack, j)]
            via = _site_name(fn, file)
            break
    return stack[i], via


def _skip_inner(stack: list[Frame], i: int) -> int:
    """A comprehension or lambda is its function's own work: step out to the function."""
    while i + 1 < len(stack) and stack[i][0].startswith("<") and stack[i + 1][1] == stack[i][1]:
        i += 1
    return i


def _site_name(function: str, file: str) -> str:
    module = module_of(short_path(file)) if file else ""
    return f"{module}:{function}" if module else function


def _rel(path: Path, relative_to: Path | None) -> str:
    return str(path.relative_to(relative_to)) if relative_to else str(path)


def _in_helper_thread(fn: Any) -> None:
    """Run ``fn`` in a fresh thread and wait; re-raise what it raised (see module docstring)."""
    box: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=target, name="raafperf-memray-control")
    thread.start()
    thread.join()
    if box:
        raise box[0]
