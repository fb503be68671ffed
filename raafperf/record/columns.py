"""The columns of the saved samples, in one place, so the recorder and readers agree.

See the README's "What a run saves" for their meaning. Integer and float columns are kept in
``array`` buffers while a run goes (about 8 bytes a value, no per-row objects).
"""

from __future__ import annotations

REQUEST_INT = (
    "idx",
    "worker",
    "query",
    "intended_ns",
    "start_ns",
    "first_token_ns",
    "end_ns",
    "prompt_tokens",
    "output_tokens",
    "cached_tokens",
    "status",
    "attempts",
    "model_calls",
    "tool_calls",
    "turns",
)
REQUEST_FLOAT = (
    "lag_ms",
    "ttft_ms",
    "e2e_ms",
    "tpot_ms",
    "model_ms",
    "tool_ms",
    "cost_usd",
    "agent_wait_ms",
    "client_overhead_ms",
)
REQUEST_BOOL = ("ok", "downgraded")
REQUEST_STR = ("variant", "phase", "agent", "error_kind", "provider", "cache")

CALL_INT = (
    "request_idx",
    "call_idx",
    "start_ns",
    "sent_ns",
    "first_token_ns",
    "end_ns",
    "prompt_tokens",
    "output_tokens",
    "cached_tokens",
    "estimated_prompt_tokens",
    "status",
    "attempts",
    "fallbacks",
)
CALL_FLOAT = ("ttft_ms", "duration_ms", "connect_ms", "cost_usd")
CALL_BOOL = ("ok", "usage_reported", "new_connection")
CALL_STR = (
    "variant",
    "kind",
    "name",
    "agent",
    "provider",
    "error_kind",
    "attempt_errors",
    "cache",
    "stages",
)
CALL_LIST = ("itl_ms",)

MISSING_INT = -1
"""Stands for "none" in integer buffers (a first token that never came); null when saved."""
NULLABLE_INT = frozenset({"first_token_ns", "sent_ns"})
"""Integer columns where MISSING_INT is saved as null."""
