"""Feed recorded request rows to a monitor, for loads run in worker processes.

A worker sends the rows it recorded every few seconds (``engine.merge.Chunk``); the parent
passes each chunk's request table here, so the exporter counts every worker's requests
without anything running in the workers' hot path.
"""

from __future__ import annotations

import math
from typing import Any

NAN = float("nan")


def feed_requests(monitor: Any, requests: Any) -> int:
    """Call ``monitor.on_request`` for every row of a recorder's request table (a
    ``raafperf.record.recorder.Table``); returns the rows fed. In-flight is left as it is:
    the parent knows it from the workers' counters (``set_in_flight``)."""
    if requests is None:
        return 0
    n = len(requests)
    if not n:
        return 0
    s, f, b = requests.strs, requests.floats, requests.bools
    variant, agent, provider = s["variant"], s["agent"], s["provider"]
    error_kind, cache = s["error_kind"], s["cache"]
    ok, ttft, e2e, cost = b["ok"], f["ttft_ms"], f["e2e_ms"], f["cost_usd"]
    in_flight = getattr(getattr(monitor, "metrics", None), "in_flight", 0)
    on_request = monitor.on_request
    for i in range(n):
        c = cost[i]
        on_request(
            variant[i],
            agent[i],
            provider[i],
            bool(ok[i]),
            error_kind[i],
            ttft[i],
            e2e[i],
            cache[i],
            NAN if math.isnan(c) else c,
            in_flight,
        )
    return n
