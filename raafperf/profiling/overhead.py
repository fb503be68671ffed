"""What a profiler adds: the profiled pass against an unprofiled pass of the same scenario.

Measured on the user's own scenario rather than a calibrated micro-workload because both
profilers' costs depend on the workload's shape: pyinstrument's on how deep the stacks are at
each sample, memray's on how often the code allocates. The same scenario, same machine, run
back to back, is the closest reference there is. Client CPU per request (process CPU time over
measured requests) is the figure to read; e2e latency is also shown but mixes in the
simulator's latency, which no profiler touches, so its ratio understates the client's slowdown.
On a busy machine single passes are noisy: treat ratios within ±10% as "no visible overhead".
"""

from __future__ import annotations

import math
from typing import Any

METRICS = (
    ("cpu_per_request_ms", ("client", "cpu_per_request_ms")),
    ("e2e_p50_ms", ("latency_ms", "e2e", "p50")),
    ("e2e_mean_ms", ("latency_ms", "e2e", "mean")),
    ("requests_per_s", ("throughput", "requests_per_s")),
)


def compare_passes(reference: dict[str, Any], profiled: dict[str, Any]) -> dict[str, Any]:
    """Per variant in both summaries: reference value, profiled value and their ratio."""
    out: dict[str, Any] = {}
    ref_vars = reference.get("variants", {})
    for name, prof in profiled.get("variants", {}).items():
        ref = ref_vars.get(name)
        if ref is None:
            continue
        rows = {}
        for key, path in METRICS:
            a, b = _dig(ref, path), _dig(prof, path)
            ratio = b / a if a and b is not None and math.isfinite(a) and a > 0 else None
            rows[key] = {"reference": a, "profiled": b, "ratio": ratio}
        out[name] = rows
    return out


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> float | None:
    cur: Any = data
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return float(cur) if isinstance(cur, int | float) and math.isfinite(cur) else None
