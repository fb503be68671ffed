"""One profiler at a time: pyinstrument and memray each hook the interpreter; nested, both break."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_active: str | None = None


@contextlib.contextmanager
def profiler_slot(name: str) -> Iterator[None]:
    """Hold the process's single profiler slot for ``name``; a second profiler is refused."""
    global _active
    with _lock:
        if _active is not None:
            raise RuntimeError(
                f"cannot start {name} while {_active} is running: profilers must not be nested"
            )
        _active = name
    try:
        yield
    finally:
        with _lock:
            _active = None


def active_profiler() -> str | None:
    return _active
