"""The agent loop: model call, tool calls, results back to the model, until a final answer.

The runner is API-neutral: it speaks OpenAI-shaped messages (an assistant message with
``tool_calls``, then one ``role: tool`` message per call with its ``tool_call_id``) to a
:class:`~raafperf.client.types.ModelCaller`; the provider adapter converts them for the
Anthropic API. Provider faults arrive as failed :class:`CallResult` values and end the
request with their error kind; nothing here raises for them.

All times are ``time.perf_counter_ns()`` values, like those of :class:`CallResult`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from raafperf.agents.config import AgentConfig
from raafperf.agents.tools import ToolBox
from raafperf.client import error_kinds
from raafperf.client.types import CallResult, ChatRequest, Message, ModelCaller, ToolCall
from raafperf.errors import BudgetExceeded
from raafperf.scenario.model import QueryItem
from raafperf.sim.tools import ROUNDS_HEADER, TOOLS_HEADER

REQUEST_ID_HEADER = "x-raafperf-request-id"
DEFAULT_EST_OUTPUT_TOKENS = 256
"""Output tokens per model call the budget estimate assumes when the agent sets no max_tokens
(the scenario's ``budget.output_tokens_estimate`` overrides it)."""


@dataclass(slots=True)
class ToolRun:
    """One tool call of a request, with its timing."""

    name: str
    call_id: str
    start_ns: int
    end_ns: int
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    """``tool_error`` when the call failed."""
    turn: int = 0
    """The model call (1-based) that asked for this tool call."""

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass(slots=True)
class RequestOutcome:
    """What one request through an agent produced: every model and tool call, timed."""

    calls: list[CallResult]
    tools: list[ToolRun]
    text: str
    ok: bool
    error_kind: str | None
    turns: int
    """Model calls made (a request with N tool rounds that succeeds has N + 1)."""
    model: str
    """The model the request used (after a budget downgrade, if any)."""
    downgraded: bool = False
    agent: str = ""
    request_id: str = ""
    start_ns: int = 0
    end_ns: int = 0
    agent_wait_ns: int = 0
    """Time spent waiting for a free agent in the pool (stage ``agent_wait``)."""
    error_detail: str = ""

    @property
    def model_ns(self) -> int:
        """Time in model calls (their sum: a request makes them one after another)."""
        return sum(c.end_ns - c.start_ns for c in self.calls)

    @property
    def tool_ns(self) -> int:
        """Wall time in tools: per turn, first tool start to last tool end (overlaps once)."""
        spans: dict[int, tuple[int, int]] = {}
        for run in self.tools:
            lo, hi = spans.get(run.turn, (run.start_ns, run.end_ns))
            spans[run.turn] = (min(lo, run.start_ns), max(hi, run.end_ns))
        return sum(hi - lo for lo, hi in spans.values())

    @property
    def model_ms(self) -> float:
        return self.model_ns / 1e6

    @property
    def tool_ms(self) -> float:
        return self.tool_ns / 1e6

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def tool_errors(self) -> int:
        return sum(1 for run in self.tools if not run.ok)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens or 0 for c in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.completion_tokens or 0 for c in self.calls)

    @property
    def cached_tokens(self) -> int:
        return sum(c.cached_tokens for c in self.calls)


class ModelChooser(Protocol):
    """What :class:`raafperf.cost.budget.ModelSelector` offers the runner."""

    def choose(
        self, requested_model: str, est_prompt_tokens: int, est_output_tokens: int
    ) -> tuple[str, bool]: ...


TokenCounter = Callable[..., tuple[int, bool]]
"""``count_messages(messages, model, tools=None) -> (tokens, exact)``."""


def _default_counter() -> TokenCounter:
    try:
        from raafperf.cost.tokens import count_messages
    except ImportError:
        return _rough_count
    return count_messages


def _rough_count(
    messages: Sequence[Message], model: str, tools: Sequence[dict[str, Any]] | None = None
) -> tuple[int, bool]:
    """About four characters a token: used only when raafperf.cost is not available."""
    chars = sum(len(str(m.get("content") or "")) + 4 for m in messages)
    chars += sum(len(str(t)) for t in tools or ())
    return max(1, chars // 4), False


class AgentRunner:
    """Runs queries through one agent; built once per pooled agent and reused.

    ``run`` starts every request from a fresh conversation; ``reset`` drops what the last
    request left (its messages), as the pool does between requests.
    """

    def __init__(
        self,
        agent: AgentConfig,
        caller: ModelCaller,
        *,
        stream: bool,
        seed: int = 0,
        selector: ModelChooser | None = None,
        token_counter: TokenCounter | None = None,
        output_tokens_estimate: int = DEFAULT_EST_OUTPUT_TOKENS,
        clock_ns: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self.agent = agent
        self.output_tokens_estimate = output_tokens_estimate
        self.caller = caller
        self.stream = stream
        self.seed = seed
        self.selector = selector
        self._token_counter = token_counter
        self._clock = clock_ns
        self.toolbox = ToolBox(agent, seed=seed)
        self._base: list[Message] = (
            [{"role": "system", "content": agent.instructions}] if agent.instructions else []
        )
        self.messages: list[Message] = []
        """The conversation of the request in progress (or the last one, until reset)."""
        self.requests = 0
        self.resets = 0
        self.leases = 0
        """How many times a pool handed this runner out."""
        self.agent_wait_ns = 0
        """Set by the pool when it hands this runner out; moved onto the next outcome."""

    def reset(self) -> None:
        self.messages = []
        self.agent_wait_ns = 0
        self.resets += 1

    async def run(
        self,
        query: QueryItem | str,
        *,
        request_id: str,
        context: Mapping[str, str] | None = None,
    ) -> RequestOutcome:
        """Run one request and return its outcome; never raises for provider or tool faults.

        ``request_id`` goes out as ``x-raafperf-request-id``; the query's ``tool_rounds`` /
        ``tools`` (else the agent's) go out as the simulator's ``x-sim-*`` script.
        ``context`` (the query set's) is overridden key by key by the query's own context.
        Cancellation propagates (no outcome): the caller counts a cancelled request.
        """
        item = query if isinstance(query, QueryItem) else QueryItem(text=query)
        agent = self.agent
        start = self._clock()
        wait, self.agent_wait_ns = self.agent_wait_ns, 0
        self.requests += 1
        self.messages = messages = [*self._base, {"role": "user", "content": item.text}]
        tools = self.toolbox.specs or None
        ctx = {**(context or {}), **item.context}
        headers = self._headers(item, request_id)
        outcome = RequestOutcome(
            calls=[],
            tools=[],
            text="",
            ok=False,
            error_kind=None,
            turns=0,
            model=agent.model,
            agent=agent.name,
            request_id=request_id,
            start_ns=start,
            agent_wait_ns=wait,
        )
        try:
            if self.selector is not None:
                outcome.model, outcome.downgraded = self._choose_model(messages, tools, item)
            await self._loop(outcome, messages, tools, ctx, headers)
        except BudgetExceeded as exc:
            outcome.error_kind, outcome.error_detail = error_kinds.BUDGET, str(exc)
        except Exception as exc:  # a bug here is counted, not fatal to the run
            outcome.ok, outcome.error_kind = False, error_kinds.INTERNAL
            outcome.error_detail = f"{type(exc).__name__}: {exc}"
        outcome.end_ns = self._clock()
        return outcome

    async def _loop(
        self,
        outcome: RequestOutcome,
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
        ctx: dict[str, str],
        headers: dict[str, str],
    ) -> None:
        agent = self.agent
        for turn in range(1, agent.max_turns + 1):
            request = ChatRequest(
                model=outcome.model,
                messages=list(messages),
                tools=tools,
                temperature=agent.temperature,
                max_tokens=agent.max_tokens,
                stream=self.stream,
                agent=agent.name,
                context=ctx,
                headers=headers,
            )
            result = await self.caller.call(request)
            outcome.calls.append(result)
            outcome.turns = turn
            if not result.ok:
                outcome.error_kind = result.error_kind or error_kinds.INTERNAL
                outcome.error_detail = result.error_detail
                return
            if not result.tool_calls:
                outcome.text, outcome.ok = result.text, True
                return
            messages.append(_assistant_message(result))
            runs = await self._run_tools(result.tool_calls, outcome.request_id, turn, messages)
            outcome.tools.extend(runs)
            failed = next((r for r in runs if not r.ok), None)
            if failed is not None and agent.tool_errors_fail_request:
                outcome.error_kind = error_kinds.TOOL
                outcome.error_detail = f"tool {failed.name!r}: {failed.error}"
                return
        outcome.error_kind = error_kinds.TURN_LIMIT
        outcome.error_detail = f"no final answer after {agent.max_turns} model calls"

    async def _run_tools(
        self, calls: Sequence[ToolCall], request_id: str, turn: int, messages: list[Message]
    ) -> list[ToolRun]:
        async def one(index: int, call: ToolCall) -> tuple[ToolRun, str]:
            start = self._clock()
            result = await self.toolbox.run(
                call.name, call.arguments, key=(request_id, turn, index)
            )
            run = ToolRun(
                name=call.name,
                call_id=call.id,
                start_ns=start,
                end_ns=self._clock(),
                ok=result.ok,
                error=result.error,
                error_kind=None if result.ok else error_kinds.TOOL,
                turn=turn,
            )
            return run, result.content

        if self.agent.parallel_tools and len(calls) > 1:
            done = await asyncio.gather(*(one(i, c) for i, c in enumerate(calls)))
        else:
            done = [await one(i, c) for i, c in enumerate(calls)]
        for call, (_, content) in zip(calls, done, strict=True):
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        return [run for run, _ in done]

    def _headers(self, item: QueryItem, request_id: str) -> dict[str, str]:
        headers = {REQUEST_ID_HEADER: request_id}
        rounds = item.tool_rounds if item.tool_rounds is not None else self.agent.tool_rounds
        if rounds is not None:
            headers[ROUNDS_HEADER] = str(rounds)
        sequence = item.tools if item.tools is not None else self.agent.tool_sequence
        if sequence:
            headers[TOOLS_HEADER] = ",".join(sequence)
        return headers

    def _choose_model(
        self, messages: list[Message], tools: list[dict[str, Any]] | None, item: QueryItem
    ) -> tuple[str, bool]:
        """Ask the budget selector for a model that fits the whole request's estimate.

        The request is expected to make (tool rounds + 1) model calls, each sending about the
        first prompt and producing up to ``max_tokens`` (else ``output_tokens_estimate``)
        output tokens.
        """
        assert self.selector is not None
        if self._token_counter is None:
            self._token_counter = _default_counter()
        agent = self.agent
        prompt, _exact = self._token_counter(messages, agent.model, tools)
        rounds = item.tool_rounds if item.tool_rounds is not None else agent.tool_rounds
        calls = min(agent.max_turns, (rounds or 0) + 1) if tools else 1
        per_call_out = agent.max_tokens or self.output_tokens_estimate
        model, downgraded = self.selector.choose(agent.model, prompt * calls, per_call_out * calls)
        return model, bool(downgraded)


def _assistant_message(result: CallResult) -> Message:
    return {
        "role": "assistant",
        "content": result.text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in result.tool_calls
        ],
    }
