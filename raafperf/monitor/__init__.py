"""Live monitoring of a running bench: a Prometheus exporter (``bench --prometheus PORT``)."""

from __future__ import annotations

from raafperf.monitor.feed import feed_requests
from raafperf.monitor.metrics import LiveMetrics, merge_snapshots
from raafperf.monitor.prometheus import PrometheusExporter
from raafperf.monitor.state import stack_state

__all__ = [
    "LiveMetrics",
    "PrometheusExporter",
    "feed_requests",
    "merge_snapshots",
    "stack_state",
]
