"""A Linux timerfd armed at absolute CLOCK_MONOTONIC deadlines, read through the event loop.

Event-loop timers wake on a millisecond grid; a timerfd wakes epoll within microseconds of
its deadline, so a token leaves on time without spinning. ``perf_counter_ns`` is
CLOCK_MONOTONIC on Linux, so deadlines need no conversion. ``open_timerfd`` returns None
where timerfd is unavailable and the caller falls back to loop timers.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = 0o4000
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class TimerFd:
    """One-shot absolute timer; ``fd`` becomes readable when the deadline passes."""

    def __init__(self, libc: ctypes.CDLL, fd: int) -> None:
        self._settime = libc.timerfd_settime
        self.fd = fd
        self._spec = _Itimerspec()

    def arm(self, deadline_ns: int) -> None:
        value = self._spec.it_value
        value.tv_sec, value.tv_nsec = divmod(max(1, deadline_ns), 1_000_000_000)
        if self._settime(self.fd, _TFD_TIMER_ABSTIME, ctypes.byref(self._spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self.fd, 8)

    def close(self) -> None:
        os.close(self.fd)


def open_timerfd() -> TimerFd | None:
    if not sys.platform.startswith("linux") or os.environ.get("RAAFPERF_SIM_TIMER") == "loop":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # libc is linked into python
        fd = libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    return TimerFd(libc, fd)
