"""The one place where errors become a message and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from raafperf.errors import RaafperfError

F = TypeVar("F", bound=Callable[..., Any])


def report_errors(fn: F) -> F:
    """Wrap a command: a RaafperfError prints one line and exits with its code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RaafperfError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            print("raafperf: interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int) -> None:
    print(f"raafperf: error: {message}", file=sys.stderr)
    raise SystemExit(code)
