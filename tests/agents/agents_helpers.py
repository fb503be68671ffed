"""Test helpers for the agents area: a scripted ModelCaller and the python tools tests call."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict

from raafperf.client.types import CallResult, ChatRequest, ToolCall
from raafperf.sim.tools import arguments_for, choose_tool, openai_rounds_done


class ScriptedCaller:
    """Answers like the simulator does: tool calls as the ``x-sim-*`` headers script them
    (``default_rounds`` without a header), then a final text. ``calls_per_turn`` tool calls
    per tool round (consecutive tools of the script); ``fail_turn`` fails that model call."""

    def __init__(
        self,
        *,
        default_rounds: int = 1,
        latency_s: float = 0.002,
        calls_per_turn: int = 1,
        fail_turn: int | None = None,
        error_kind: str = "http_503",
    ) -> None:
        self.default_rounds = default_rounds
        self.latency_s = latency_s
        self.calls_per_turn = calls_per_turn
        self.fail_turn = fail_turn
        self.error_kind = error_kind
        self.requests: list[ChatRequest] = []
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight: dict[str, int] = defaultdict(int)

    async def call(self, request: ChatRequest) -> CallResult:
        start = time.perf_counter_ns()
        self.requests.append(request)
        agent = request.agent
        self.in_flight[agent] += 1
        self.max_in_flight[agent] = max(self.max_in_flight[agent], self.in_flight[agent])
        try:
            await asyncio.sleep(self.latency_s)
        finally:
            self.in_flight[agent] -= 1
        first = time.perf_counter_ns()
        done = openai_rounds_done(request.messages)
        turn = sum(1 for m in request.messages if m["role"] == "assistant") + 1
        if self.fail_turn == turn:
            return CallResult(
                ok=False,
                provider="scripted",
                model=request.model,
                start_ns=start,
                end_ns=time.perf_counter_ns(),
                status=503,
                error_kind=self.error_kind,
                error_detail="scripted failure",
            )
        specs = {t["function"]["name"]: t["function"] for t in request.tools or []}
        names = list(specs)
        first = choose_tool(dict(request.headers), names, self.default_rounds, done)
        calls: list[ToolCall] = []
        if first is not None:
            # Further calls of the same turn take the offered tools after the scripted one.
            at = names.index(first) if first in names else 0
            picked = [first] + [names[(at + i) % len(names)] for i in range(1, self.calls_per_turn)]
            for i, name in enumerate(picked):
                args = arguments_for(specs.get(name, {}).get("parameters"), 0, name, done)
                calls.append(
                    ToolCall(
                        id=f"call_{len(self.requests)}_{i}", name=name, arguments=json.dumps(args)
                    )
                )
        text = "" if calls else f"Final answer after {done} tool rounds."
        return CallResult(
            ok=True,
            provider="scripted",
            model=request.model,
            start_ns=start,
            end_ns=time.perf_counter_ns(),
            first_token_ns=first,
            token_ns=[first],
            text=text,
            tool_calls=calls,
            finish_reason="tool_calls" if calls else "stop",
            status=200,
            prompt_tokens=10 * len(request.messages),
            completion_tokens=8,
            usage_reported=True,
        )


# Python tools the scenarios of these tests name by import path.
CALLS: list[dict] = []


def lookup(arguments: dict) -> dict:
    CALLS.append(arguments)
    return {"found": arguments.get("q"), "rows": 3}


async def fetch_async(arguments: dict) -> str:
    await asyncio.sleep(0.001)
    return f"fetched {arguments.get('url', '?')}"


def explode(arguments: dict) -> str:
    raise RuntimeError("database is down")


async def slow(arguments: dict) -> str:
    await asyncio.sleep(5)
    return "too late"


NOT_CALLABLE = 42
