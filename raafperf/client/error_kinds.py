"""The error kinds a call can end with: short stable strings, counted in every report.

Kinds are strings (not an Enum) because they are stored per sample in columnar files and
compared on the hot path.
"""

from __future__ import annotations

TIMEOUT_CONNECT = "timeout_connect"
TIMEOUT_READ = "timeout_read"
TIMEOUT_WRITE = "timeout_write"
TIMEOUT_POOL = "timeout_pool"
CONNECT = "connect_error"
RESET = "connection_reset"
STREAM_CUT = "stream_cut"
"""The stream ended without its final event ([DONE] / message_stop)."""
STREAM_BROKEN = "stream_broken"
"""The stream failed after the first token arrived: reported, never silently retried."""
MALFORMED = "malformed_event"
STREAM_ERROR = "stream_error"
"""An error event inside a 200 stream whose type names no HTTP status."""
PROTOCOL = "protocol_error"
ALL_PROVIDERS_DOWN = "all_providers_down"
NO_PROVIDER = "no_provider_for_model"
RETRY_BUDGET = "retry_budget_exhausted"
BUDGET = "budget_exceeded"
TOOL = "tool_error"
TURN_LIMIT = "turn_limit"
CANCELLED = "cancelled"
INTERNAL = "internal_error"
"""A bug in raafperf itself, counted rather than crashing the run."""

TIMEOUTS = frozenset({TIMEOUT_CONNECT, TIMEOUT_READ, TIMEOUT_WRITE, TIMEOUT_POOL})
CONNECTION = frozenset({CONNECT, RESET})


def http(status: int) -> str:
    return f"http_{status}"


def status_of(kind: str | None) -> int | None:
    """The HTTP status of an ``http_NNN`` kind, else None."""
    if kind and kind.startswith("http_"):
        try:
            return int(kind[5:])
        except ValueError:
            return None
    return None


def is_rate_limited(kind: str | None) -> bool:
    return kind == "http_429"


def is_server_error(kind: str | None) -> bool:
    status = status_of(kind)
    return status is not None and status >= 500


def is_transient(kind: str | None) -> bool:
    """Worth retrying or routing around: timeouts, connection faults, 429, 5xx, cut streams."""
    return (
        kind in TIMEOUTS
        or kind in CONNECTION
        or kind in (STREAM_CUT, MALFORMED)
        or is_rate_limited(kind)
        or is_server_error(kind)
    )
