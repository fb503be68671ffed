"""The ``gc:`` setting of a scenario (values and reasons: :mod:`raafperf.profiling.gc_tuning`)."""

from __future__ import annotations

from typing import Literal

GcMode = Literal["default", "throughput", "latency", "memory", "balanced"]
"""default: the interpreter's settings; throughput: fewest collections; latency: short pauses,
rare full collections; memory: frequent collections, smallest heap; balanced: in between. All
but default and memory freeze the objects alive after warm-up (see gc_tuning)."""
