"""CPU profiling with pyinstrument (async-aware): an instrument for the engine, then reports.

pyinstrument samples the thread it was started in every ``interval`` seconds. With
``async_mode="enabled"`` it follows the async context it was started in: tasks created after
the start inherit that context, so the engine must enter the instrument before it creates the
request tasks of the measured part; time a task spends awaiting is shown as ``[await]`` under
the coroutine that awaited. The simulator runs in another process and is not sampled.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from raafperf.profiling.guard import profiler_slot
from raafperf.profiling.hotspots import CpuHotspots, cpu_hotspots


class CpuProfiler:
    """Call it (optionally with the variant name) for an async context manager per variant."""

    kind = "cpu"

    def __init__(self, interval: float = 0.001) -> None:
        if not interval > 0:
            raise ValueError("the sampling interval must be positive")
        self.interval = interval
        self.sessions: dict[str, Any] = {}
        """variant → pyinstrument Session, in the order the variants ran."""

    def __call__(self, variant: str | None = None) -> contextlib.AbstractAsyncContextManager[None]:
        return self._profile(variant or f"pass{len(self.sessions) + 1}")

    @contextlib.asynccontextmanager
    async def _profile(self, name: str) -> AsyncIterator[None]:
        from pyinstrument import Profiler

        with profiler_slot("pyinstrument"):
            profiler = Profiler(interval=self.interval, async_mode="enabled")
            profiler.start()
            try:
                yield
            finally:
                # Rendering waits until after the run: here it would be timed as part of it.
                session = profiler.stop()
                if name in self.sessions:  # a variant run in several segments: one profile
                    from pyinstrument.session import Session

                    session = Session.combine(self.sessions[name], session)
                self.sessions[name] = session

    def save(self, dest: Path, *, relative_to: Path | None = None) -> dict[str, str]:
        """Write per variant an HTML report, a speedscope JSON and the raw session.

        Returns ``{artifact name: path}`` (relative to ``relative_to`` when given) for
        summary.json["files"].
        """
        from pyinstrument.renderers import HTMLRenderer, SpeedscopeRenderer

        dest.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        for variant, session in self.sessions.items():
            stem = f"cpu-{variant}"
            html = dest / f"{stem}.html"
            speedscope = dest / f"{stem}.speedscope.json"
            raw = dest / f"{stem}.pyisession"
            html.write_text(HTMLRenderer().render(session), encoding="utf-8")
            speedscope.write_text(SpeedscopeRenderer().render(session), encoding="utf-8")
            session.save(raw)
            for key, path in (("html", html), ("speedscope", speedscope), ("session", raw)):
                shown = path.relative_to(relative_to) if relative_to else path
                files[f"cpu_{key}_{variant}"] = str(shown)
        return files

    def hotspots(self, variant: str | None = None, *, own_package: str = "raafperf") -> CpuHotspots:
        """Top functions by own and total time of one variant (the first if not named)."""
        if not self.sessions:
            raise LookupError("nothing was profiled")
        name = variant or next(iter(self.sessions))
        return cpu_hotspots(self.sessions[name], own_package=own_package)
