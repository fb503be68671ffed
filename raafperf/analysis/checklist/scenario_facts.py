"""What the checklist rules need to know of a scenario's load."""

from __future__ import annotations

from typing import Any


def peak_users(scenario: Any) -> int | None:
    load = scenario.load
    if load.mode == "closed":
        return load.concurrency
    return None


def measured_requests(scenario: Any) -> int | None:
    load = scenario.load
    if load.requests is not None:
        return int(load.requests)
    if load.mode == "open" and load.rate and load.duration:
        return int(load.rate * load.duration)
    return None


def min_tail() -> int:
    try:
        from raafperf.analysis.compare import MIN_TAIL
    except ImportError:
        return 50
    return int(MIN_TAIL)


def duration_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
