"""GC tuning modes: thresholds and a freeze of start-up objects, applied for one run, then undone.

CPython's cyclic collector runs a young (generation 0) collection each time the number of
container objects allocated minus deallocated passes ``threshold0``; every ``threshold1``
young collections it also collects generation 1, and every ``threshold2`` of those a full
collection may run (3.11 also waits until the objects pending promotion exceed 25% of the
long-lived ones). Reference counting frees most objects of a request without the collector,
so the collector's work is mostly scanning survivors: its cost grows with how often it runs
and with how many objects each run traverses.

``gc.freeze()`` moves every object alive at that point — imports, pydantic models, pools, the
query pool, what warm-up built — to a permanent generation that no collection traverses.
Those objects live for the whole run anyway, so freezing shortens every later collection. It
splices lists (O(1), no pause), so it can run at the end of warm-up while requests are in
flight; the run collects fully before its first request, so what gets frozen besides live
objects is at most the young garbage made since (bounded by threshold0), kept until the run
ends and ``gc.unfreeze()`` hands everything back.

Modes (3.11's defaults are 700, 10, 10). Figures: ``benchmarks/bench_profiler_overhead.py
gc-modes`` (10k request-like tasks, a cycle in one of ten, 200k long-lived objects; 2 shared
cores): collections / total pause / wall.

``default``     the interpreter's settings, untouched: 292 / 713 ms / 3.4 s.
``throughput``  (50_000, 20, 100) + freeze: 70x rarer young collections; most young objects
                are dead by then, so total collector time drops: 4 / 118 ms / 2.1 s. A single
                young collection may handle 50k objects (tens of ms).
``latency``     (1_500, 20, 100) + freeze: young collections stay small (short pauses) while
                generation-1 and full collections, the long pauses, become 2-10x rarer and skip
                the frozen objects: 136 / 278 ms / 2.6 s.
``memory``      (400, 5, 5), no freeze: cyclic garbage is found soonest, the heap stays
                smallest, at the cost of the most collector CPU: 511 / 689 ms / 2.7 s.
``balanced``    (10_000, 15, 20) + freeze: most of throughput's gain, shorter single pauses:
                20 / 208 ms / 2.8 s.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import get_args

from raafperf.profiling.config import GcMode


@dataclass(frozen=True, slots=True)
class GcPreset:
    thresholds: tuple[int, int, int] | None
    """None keeps the interpreter's thresholds."""
    freeze: bool
    why: str


GC_PRESETS: dict[str, GcPreset] = {
    "default": GcPreset(None, False, "the interpreter's own settings"),
    "throughput": GcPreset(
        (50_000, 20, 100), True, "fewest collections: least collector CPU, longer single pauses"
    ),
    "latency": GcPreset(
        (1_500, 20, 100), True, "small young collections; rare, shorter full collections"
    ),
    "memory": GcPreset((400, 5, 5), False, "frequent collections free cyclic garbage soonest"),
    "balanced": GcPreset((10_000, 15, 20), True, "most of throughput's gain, bounded pauses"),
}
assert set(GC_PRESETS) == set(get_args(GcMode))


class GcTuning:
    """Apply a GC mode for one run and restore the previous state afterwards.

    ``apply()`` before warm-up sets the thresholds; ``after_warmup()`` collects and freezes
    (for modes that freeze); ``restore()`` undoes both. Also a context manager.
    """

    def __init__(self, mode: str = "default") -> None:
        if mode not in GC_PRESETS:
            known = ", ".join(GC_PRESETS)
            raise ValueError(f"unknown gc mode {mode!r} (known: {known})")
        self.mode = mode
        self.preset = GC_PRESETS[mode]
        self._saved: tuple[int, int, int] | None = None
        self._froze = False
        self.frozen_objects = 0

    def apply(self) -> None:
        self._saved = gc.get_threshold()
        if self.preset.thresholds is not None:
            gc.set_threshold(*self.preset.thresholds)

    def after_warmup(self) -> None:
        """Freeze what is alive now (after warm-up) if the mode says so; idempotent."""
        if not self.preset.freeze or self._froze:
            return
        if gc.get_freeze_count():
            # Someone (the user's app) froze objects already: unfreezing later would undo
            # their freeze too, so leave the permanent generation alone.
            self.frozen_objects = 0
            return
        gc.freeze()
        self._froze = True
        self.frozen_objects = gc.get_freeze_count()

    def restore(self) -> None:
        if self._froze:
            gc.unfreeze()
            self._froze = False
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def describe(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "thresholds": list(self.preset.thresholds or gc.get_threshold()),
            "freeze": self.preset.freeze,
            "frozen_objects": self.frozen_objects,
        }

    def __enter__(self) -> GcTuning:
        self.apply()
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()
