"""One object per variant and process for the engine: GC tuning plus GC monitoring."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from raafperf.profiling.gc_monitor import GcMonitor
from raafperf.profiling.gc_tuning import GcTuning


class GcRun:
    """Per segment: ``start()`` before its first request, ``warmup_done()`` when its first
    measured request starts (every segment, also one without warm-up), ``stop()`` after it.
    Figures accumulate over a variant's segments.

    ``start()`` applies the mode's thresholds and collects fully once, before any request, so
    every variant begins from the same clean heap (that pause is not measured). The freeze and
    the monitor's zero point come at ``warmup_done()``, so the figures cover the measured part.
    """

    def __init__(self, mode: str = "default") -> None:
        self.tuning = GcTuning(mode)
        self.monitor = GcMonitor()

    def start(self) -> None:
        self.tuning.apply()
        gc.collect()
        self.monitor.start()

    def warmup_done(self) -> None:
        self.tuning.after_warmup()
        self.monitor.discard_since_start()

    def stop(self) -> None:
        self.monitor.stop()
        self.tuning.restore()

    def raw(self, worker: int = 0) -> dict[str, Any]:
        """What a process hands over: the mode and the raw pauses (see ``summarize_gc``).

        Values merge correctly under the engine's generic merge of worker stats: lists
        concatenate, counts add up, strings and flags keep the first worker's.
        """
        mode = self.tuning.describe()
        return {
            "mode": mode["mode"],
            "thresholds": "/".join(str(t) for t in mode["thresholds"]),
            "freeze": mode["freeze"],
            "frozen_objects": mode["frozen_objects"],
            **self.monitor.raw(worker),
        }

    def summary(
        self,
        starts_ns: Sequence[int] | Any | None = None,
        ends_ns: Sequence[int] | Any | None = None,
        *,
        offset_ns: int = 0,
    ) -> dict[str, Any]:
        """This process's figures, with the mode's settings (for use without the engine)."""
        return self.tuning.describe() | self.monitor.summary(
            starts_ns, ends_ns, offset_ns=offset_ns
        )

    def __enter__(self) -> GcRun:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
