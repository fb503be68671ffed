"""Top functions of a pyinstrument session, by own and by total CPU time.

From the call tree (one frame per call path) per function, summed over its call paths:
- own time: samples in the function itself, not in callees and not awaiting;
- total time: own time plus callees', without ``[await]``/``[out-of-context]`` time below it,
  so it is time spent computing, not waiting for the provider. Recursion is counted once.
Event-loop idling (the selector's wait) is not CPU and is reported apart as ``idle_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from raafperf.profiling.paths import in_package, module_of

_SELF = "[self]"
_WAITING = ("[await]", "[out-of-context]")
_IDLE_FUNCTIONS = {
    ("select", "selectors.py"),
    ("poll", "selectors.py"),
    # Under uvloop the loop is C code: its waiting shows as own time of its Python callers.
    ("run", "runners.py"),
    ("run_until_complete", "base_events.py"),
    ("run_forever", "base_events.py"),
}
_SKIP_MODULES = ("pyinstrument",)


@dataclass(slots=True)
class FunctionTime:
    name: str
    """``module:qualname``, e.g. ``raafperf.client.openai:OpenAIAdapter.call``."""
    location: str
    """file:line of the function's definition, shortened."""
    package: str
    qualname: str = ""
    own_s: float = 0.0
    total_s: float = 0.0


@dataclass(slots=True)
class CpuHotspots:
    duration_s: float
    cpu_s: float
    samples: int
    idle_s: float
    busy_s: float
    """Sampled time that was not idle nor awaiting: the denominator of the shares."""
    functions: list[FunctionTime] = field(default_factory=list)

    def by_own(self, top: int = 15, package: str | None = None) -> list[FunctionTime]:
        rows = [f for f in self.functions if package is None or f.package == package]
        return sorted(rows, key=lambda f: f.own_s, reverse=True)[:top]

    def by_total(self, top: int = 15, package: str | None = None) -> list[FunctionTime]:
        rows = [f for f in self.functions if package is None or f.package == package]
        return sorted(rows, key=lambda f: f.total_s, reverse=True)[:top]

    def to_dict(self, top: int = 15, own_package: str = "raafperf") -> dict[str, Any]:
        def rows(items: list[FunctionTime]) -> list[dict[str, Any]]:
            return [
                {"function": f.name, "location": f.location, "own_s": f.own_s, "total_s": f.total_s}
                for f in items
            ]

        return {
            "duration_s": self.duration_s,
            "cpu_s": self.cpu_s,
            "samples": self.samples,
            "idle_s": self.idle_s,
            "busy_s": self.busy_s,
            "top_own": rows(self.by_own(top)),
            "top_total_own_package": rows(self.by_total(top, own_package)),
        }


def cpu_hotspots(session: Any, *, own_package: str = "raafperf") -> CpuHotspots:
    """Aggregate a pyinstrument ``Session``'s call tree per function."""
    root = session.root_frame()
    result = CpuHotspots(
        duration_s=float(session.duration),
        cpu_s=float(session.cpu_time or 0.0),
        samples=int(session.sample_count),
        idle_s=0.0,
        busy_s=0.0,
    )
    if root is None:
        return result
    table: dict[str, FunctionTime] = {}
    waiting_below: dict[int, float] = {}

    # Post-order without recursion (async call trees get deep): waiting time per subtree.
    order: list[Any] = []
    stack = [root]
    while stack:
        frame = stack.pop()
        order.append(frame)
        stack.extend(frame.children)
    for frame in reversed(order):
        if frame.identifier in _WAITING:
            waiting_below[id(frame)] = frame.time
        else:
            waiting_below[id(frame)] = sum(waiting_below[id(c)] for c in frame.children)

    on_path: dict[str, int] = {}
    # Pre-order with explicit enter/leave markers to know each frame's ancestors.
    work: list[tuple[Any, bool]] = [(root, True)]
    while work:
        frame, entering = work.pop()
        if frame.is_synthetic:
            continue
        key = frame.identifier
        if not entering:
            on_path[key] -= 1
            continue
        info = _describe(frame, session, own_package)
        own = frame.time - sum(c.time for c in frame.children if c.identifier != _SELF)
        if info is None:
            pass
        elif info[3]:
            result.idle_s += own
        else:
            row = table.get(key)
            if row is None:
                row = table[key] = FunctionTime(
                    name=info[0], location=info[1], package=info[2], qualname=info[4]
                )
            row.own_s += own
            result.busy_s += own
            if not on_path.get(key):
                row.total_s += frame.time - waiting_below[id(frame)]
        on_path[key] = on_path.get(key, 0) + 1
        work.append((frame, False))
        work.extend((c, True) for c in frame.children)
    result.functions = list(table.values())
    return result


def _describe(frame: Any, session: Any, own_package: str) -> tuple[str, str, str, bool, str] | None:
    """(name, location, package, is_idle, qualname) for a frame, or None to leave it out."""
    path = frame.file_path or ""
    short = session.shorten_path(path) if path and not path.startswith("<") else path
    module = module_of(short)
    package = module.split(".", 1)[0] if module else (path or "?")
    if package in _SKIP_MODULES:
        return None
    if in_package(path, own_package):
        package = own_package
    base = short.rsplit("/", 1)[-1]
    idle = (frame.function, base) in _IDLE_FUNCTIONS and package in ("selectors", "asyncio")
    qual = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
    name = f"{module}:{qual}" if module else qual
    location = f"{short}:{frame.line_no}" if frame.line_no else short
    return name, location, package, idle, qual
