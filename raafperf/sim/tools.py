"""Scripted tool calls: when to call a tool, which one, and with what arguments."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from raafperf.sim.sampling import derive_seed

ROUNDS_HEADER = "x-sim-tool-rounds"
TOOLS_HEADER = "x-sim-tools"
_MAX_DEPTH = 6


def choose_tool(
    headers: Mapping[str, str],
    offered: Sequence[str],
    default_rounds: int,
    rounds_done: int,
    forced: str | None = None,
) -> str | None:
    """The tool this turn calls, or None when the scripted rounds are done.

    ``x-sim-tool-rounds: N`` overrides the configured rounds; ``x-sim-tools: a,b`` names the
    tool of each round, cycling (default: the offered tools in order); a ``forced`` tool
    (the request's tool_choice naming one) wins.
    """
    if not offered:
        return None
    rounds = default_rounds
    raw = headers.get(ROUNDS_HEADER)
    if raw is not None:
        with contextlib.suppress(ValueError):
            rounds = max(0, int(raw))
    if rounds_done >= rounds:
        return None
    if forced:  # tool_choice named one tool
        return forced
    names = [n.strip() for n in headers.get(TOOLS_HEADER, "").split(",") if n.strip()]
    names = names or list(offered)
    return names[rounds_done % len(names)]


def arguments_for(schema: Any, seed: int, tool: str, round_no: int) -> dict[str, Any]:
    """Deterministic arguments that satisfy a tool's JSON-schema parameters."""
    rng = random.Random(derive_seed(seed, "tool", tool, round_no))
    value = _fill(schema if isinstance(schema, dict) else {}, rng, "arg", 0)
    return value if isinstance(value, dict) else {}


def _fill(schema: dict[str, Any], rng: random.Random, name: str, depth: int) -> Any:
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            first = schema[key][0]
            return _fill(first if isinstance(first, dict) else {}, rng, name, depth)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        if depth >= _MAX_DEPTH:
            return {}
        props = schema.get("properties") or {}
        return {
            key: _fill(sub if isinstance(sub, dict) else {}, rng, key, depth + 1)
            for key, sub in props.items()
        }
    if kind == "array":
        items = schema.get("items")
        count = max(1, int(schema.get("minItems", 1)))
        if depth >= _MAX_DEPTH:
            return []
        return [
            _fill(items if isinstance(items, dict) else {}, rng, name, depth + 1)
            for _ in range(count)
        ]
    if kind == "integer":
        lo = int(schema.get("minimum", 1))
        return rng.randint(lo, max(lo, int(schema.get("maximum", lo + 99))))
    if kind == "number":
        lo = float(schema.get("minimum", 0))
        return round(rng.uniform(lo, float(schema.get("maximum", lo + 100))), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return f"{name}-{rng.randrange(10_000):04d}"


def json_pieces(arguments: dict[str, Any], size: int = 4) -> list[str]:
    """The arguments' JSON cut into token-sized pieces, as the real APIs stream them."""
    text = json.dumps(arguments, separators=(",", ":"))
    return [text[i : i + size] for i in range(0, len(text), size)] or ["{}"]


def openai_rounds_done(messages: Sequence[Any]) -> int:
    """Tool-result rounds so far: runs of consecutive ``tool`` messages."""
    rounds, previous = 0, None
    for msg in messages:
        role = msg.get("role") if isinstance(msg, dict) else None
        if role in ("tool", "function") and previous not in ("tool", "function"):
            rounds += 1
        previous = role
    return rounds


def anthropic_rounds_done(messages: Sequence[Any]) -> int:
    """Tool-result rounds so far: user messages carrying tool_result blocks."""
    rounds = 0
    for msg in messages:
        if not isinstance(msg, dict) or msg.get("role") != "user":
            continue
        content = msg.get("content")
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in content
        ):
            rounds += 1
    return rounds
