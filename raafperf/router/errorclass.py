"""Classes of error kinds as a scenario names them: groups ("5xx", "timeouts") or exact kinds.

Used by the breaker (which failures count) and the fallback (which failures move on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from raafperf.client import error_kinds as ek

RATE_LIMIT_WAIT = "rate_limit_wait_exceeded"
"""The router would have had to wait past ``rate_limit.max_wait_s`` for a provider."""

GROUPS: dict[str, str] = {
    "5xx": "any HTTP 5xx",
    "4xx": "any HTTP 4xx (429 included)",
    "timeouts": ", ".join(sorted(ek.TIMEOUTS)),
    "connection": ", ".join(sorted(ek.CONNECTION)),
    "stream": f"{ek.STREAM_CUT}, {ek.STREAM_BROKEN}, {ek.MALFORMED}, {ek.PROTOCOL}",
}
_STREAM = frozenset({ek.STREAM_CUT, ek.STREAM_BROKEN, ek.MALFORMED, ek.PROTOCOL})
_KNOWN_KINDS = frozenset(
    {
        *ek.TIMEOUTS,
        *ek.CONNECTION,
        *_STREAM,
        ek.ALL_PROVIDERS_DOWN,
        ek.NO_PROVIDER,
        ek.RETRY_BUDGET,
        ek.BUDGET,
        ek.TOOL,
        ek.TURN_LIMIT,
        ek.CANCELLED,
        ek.INTERNAL,
    }
)
_HTTP = re.compile(r"^http_[1-5]\d\d$")


def check_patterns(patterns: list[str]) -> list[str]:
    """Validate a list of groups / kinds; the error names what is allowed."""
    for p in patterns:
        if p not in GROUPS and p not in _KNOWN_KINDS and not _HTTP.match(p):
            raise ValueError(
                f"unknown error class {p!r}: use a group ({', '.join(GROUPS)}), "
                "an HTTP kind like http_503, or a kind like timeout_read"
            )
    return patterns


def _matches(pattern: str, kind: str) -> bool:
    if pattern == kind:
        return True
    if pattern == "5xx":
        return ek.is_server_error(kind)
    if pattern == "4xx":
        status = ek.status_of(kind)
        return status is not None and 400 <= status < 500
    if pattern == "timeouts":
        return kind in ek.TIMEOUTS
    if pattern == "connection":
        return kind in ek.CONNECTION
    if pattern == "stream":
        return kind in _STREAM
    return False


class ErrorClass:
    """``kind in cls`` for a list of patterns, memoised (kinds are few, calls are many)."""

    __slots__ = ("_memo", "_patterns")

    def __init__(self, patterns: Iterable[str], *, never: Iterable[str] = ()) -> None:
        self._patterns = tuple(patterns)
        self._memo: dict[str, bool] = {k: False for k in never}

    def __contains__(self, kind: str | None) -> bool:
        if kind is None:
            return False
        hit = self._memo.get(kind)
        if hit is None:
            hit = any(_matches(p, kind) for p in self._patterns)
            self._memo[kind] = hit
        return hit
