"""The recorder: one row per request and per call, kept in columnar buffers.

It sits on the hot path of every request, so it appends plain numbers to ``array``
buffers and builds no per-row dicts. Tables are assembled (pyarrow, lazily) only when the
run is saved or merged.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from raafperf.client.types import CallResult
from raafperf.record.columns import (
    CALL_BOOL,
    CALL_FLOAT,
    CALL_INT,
    CALL_LIST,
    CALL_STR,
    MISSING_INT,
    NULLABLE_INT,
    REQUEST_BOOL,
    REQUEST_FLOAT,
    REQUEST_INT,
    REQUEST_STR,
)

NAN = float("nan")
CostFn = Callable[[str, str, int, int, int], float | None]
"""(provider, model, prompt_tokens, output_tokens, cached_tokens) -> USD or None (unpriced)."""


@dataclass(slots=True)
class ToolTiming:
    """What the recorder needs of a tool call (the agent runner's ToolRun fits)."""

    name: str
    start_ns: int
    end_ns: int
    ok: bool
    error: str | None = None


class Table:
    """Columnar buffers for one table."""

    def __init__(
        self,
        ints: Iterable[str],
        floats: Iterable[str],
        bools: Iterable[str],
        strs: Iterable[str],
        lists: Iterable[str] = (),
    ) -> None:
        self.ints = {name: array("q") for name in ints}
        self.floats = {name: array("d") for name in floats}
        self.bools = {name: array("b") for name in bools}
        self.strs: dict[str, list[str]] = {name: [] for name in strs}
        # A list column is one flat float32 buffer plus row offsets: 4 bytes a value instead
        # of a Python float and a list per row.
        self.lists: dict[str, tuple[array, array]] = {
            name: (array("f"), array("q", [0])) for name in lists
        }

    def append_list(self, name: str, values: Iterable[float]) -> None:
        flat, offsets = self.lists[name]
        flat.extend(values)
        offsets.append(len(flat))

    def __len__(self) -> int:
        for col in self.ints.values():
            return len(col)
        return 0

    def to_arrow(self) -> Any:
        import pyarrow as pa

        cols: dict[str, Any] = {}
        for name, buf in self.ints.items():
            values = pa.array(buf, type=pa.int64())
            if name in NULLABLE_INT:
                import pyarrow.compute as pc

                values = pc.if_else(pc.equal(values, MISSING_INT), None, values)
            cols[name] = values
        for name, buf in self.floats.items():
            cols[name] = pa.array(buf, type=pa.float64())
        for name, buf in self.bools.items():
            cols[name] = pa.array([bool(b) for b in buf], type=pa.bool_())
        for name, values in self.strs.items():
            cols[name] = pa.array(values, type=pa.string()).dictionary_encode()
        for name, (flat, offsets) in self.lists.items():
            cols[name] = pa.ListArray.from_arrays(
                pa.array(offsets, type=pa.int32()), pa.array(flat, type=pa.float32())
            )
        return pa.table(cols)

    def extend(self, other: Table) -> None:
        for name, buf in other.ints.items():
            self.ints[name].extend(buf)
        for name, buf in other.floats.items():
            self.floats[name].extend(buf)
        for name, buf in other.bools.items():
            self.bools[name].extend(buf)
        for name, values in other.strs.items():
            self.strs[name].extend(values)
        for name, (flat, offsets) in other.lists.items():
            mine, my_offsets = self.lists[name]
            base = len(mine)
            mine.extend(flat)
            my_offsets.extend(base + o for o in offsets[1:])


def new_requests_table() -> Table:
    return Table(REQUEST_INT, REQUEST_FLOAT, REQUEST_BOOL, REQUEST_STR)


def new_calls_table() -> Table:
    return Table(CALL_INT, CALL_FLOAT, CALL_BOOL, CALL_STR, CALL_LIST)


@dataclass(slots=True)
class LiveCounters:
    """What the live display and the self-check read while the run goes."""

    done: int = 0
    errors: int = 0
    in_flight: int = 0
    recent_e2e_ms: list[float] = field(default_factory=list)

    def add_e2e(self, value: float) -> None:
        recent = self.recent_e2e_ms
        recent.append(value)
        if len(recent) > 512:
            del recent[:256]


def client_overhead_ns(start_ns: int, calls: list[CallResult], agent_wait_ns: int = 0) -> int:
    """The generator's own time between a request's start and its first model call's
    request reaching the socket: the call stack's CPU and event-loop queueing, without the
    waits a scenario models (agent pool, cache lookup, rate limits, connection pool, connect
    and TLS). MISSING_INT when the first call sent nothing (a cache hit, a failure before
    sending)."""
    if not calls:
        return MISSING_INT
    first = calls[0]
    sent = first.sent_ns
    if sent is None:
        return MISSING_INT
    waits = agent_wait_ns + first.send_wait_ns + first.stages_ns.get("cache_lookup", 0)
    return max(sent - start_ns - waits, 0)


class Recorder:
    """Records requests and their calls relative to ``t0_ns`` (the run's start).

    Latency origin: TTFT and E2E are measured from the intended start (open loop: the
    schedule is the truth, so a late generator cannot hide a slow target), or, with
    ``origin_from_send`` (closed loop), from the actual start plus the client's own overhead
    (:func:`client_overhead_ns`), so the generator's queueing before the socket is not
    charged to the provider. The overhead is recorded either way (``client_overhead_ms``).

    With a ``spill`` (see :mod:`raafperf.record.spill`), full buffers are handed to a
    writer thread as Parquet parts, so a long run's memory stays bounded.
    """

    def __init__(
        self,
        t0_ns: int,
        *,
        cost_fn: CostFn | None = None,
        keep_itl: bool = True,
        spill: Any = None,
        on_request: Callable[..., None] | None = None,
    ) -> None:
        self.t0_ns = t0_ns
        self.requests = new_requests_table()
        self.calls = new_calls_table()
        self.spill = spill
        self.recorded = 0
        """Requests recorded in all, spilled ones included."""
        self.cost_fn = cost_fn
        self.keep_itl = keep_itl
        self.live = LiveCounters()
        self.budget: Any = None
        """A RunBudget fed every priced call; ``on_over_budget`` runs once it is spent."""
        self.on_over_budget: Callable[[], None] | None = None
        self.on_request = on_request
        """A live listener (the Prometheus exporter), told of every request."""

    def record(
        self,
        *,
        variant: str,
        idx: int,
        phase: str,
        worker: int,
        agent: str,
        query: int,
        intended_ns: int,
        start_ns: int,
        end_ns: int,
        calls: list[CallResult],
        tools: list[Any],
        ok: bool,
        error_kind: str | None,
        turns: int,
        downgraded: bool = False,
        agent_wait_ns: int = 0,
        origin_from_send: bool = False,
    ) -> None:
        t0 = self.t0_ns
        r = self.requests
        first_token_ns = MISSING_INT
        prompt = output = cached = attempts = 0
        model_ns = 0
        cost = 0.0
        priced = True
        status = 0
        provider = ""
        itl_count_before = 0
        for i, call in enumerate(calls):
            if first_token_ns == MISSING_INT and call.first_token_ns is not None:
                first_token_ns = call.first_token_ns
            prompt += call.prompt_tokens or 0
            output += call.completion_tokens or 0
            cached += call.cached_tokens
            attempts += call.attempts
            model_ns += call.end_ns - call.start_ns
            status = call.status or status
            provider = call.provider
            call_cost = self._record_call(variant, idx, i, agent, call)
            if (
                self.budget is not None
                and call.cache != "hit"
                and not self.budget.add(call_cost)
                and self.on_over_budget is not None
            ):
                self.on_over_budget()
            if call.cache == "hit":
                pass  # a cache hit costs nothing; its savings are reported by the cost summary
            elif call_cost is None:
                priced = False
            else:
                cost += call_cost
            itl_count_before += max(len(call.token_ns) - 1, 0)
        tool_ns = 0
        for j, tool in enumerate(tools, start=len(calls)):
            tool_ns += tool.end_ns - tool.start_ns
            self._record_tool(variant, idx, j, agent, tool)

        overhead = client_overhead_ns(start_ns, calls, agent_wait_ns)
        origin = intended_ns
        if origin_from_send and overhead != MISSING_INT:
            origin = start_ns + overhead
        ttft_ms = (first_token_ns - origin) / 1e6 if first_token_ns != MISSING_INT else NAN
        e2e_ms = (end_ns - origin) / 1e6
        tpot_ms = NAN
        if ok and first_token_ns != MISSING_INT and output > 1:
            tpot_ms = (end_ns - first_token_ns) / 1e6 / (output - 1)
        ints = r.ints
        ints["idx"].append(idx)
        ints["worker"].append(worker)
        ints["query"].append(query)
        ints["intended_ns"].append(intended_ns - t0)
        ints["start_ns"].append(start_ns - t0)
        ints["first_token_ns"].append(
            first_token_ns - t0 if first_token_ns != MISSING_INT else MISSING_INT
        )
        ints["end_ns"].append(end_ns - t0)
        ints["prompt_tokens"].append(prompt)
        ints["output_tokens"].append(output)
        ints["cached_tokens"].append(cached)
        ints["status"].append(status)
        ints["attempts"].append(attempts)
        ints["model_calls"].append(len(calls))
        ints["tool_calls"].append(len(tools))
        ints["turns"].append(turns)
        floats = r.floats
        floats["lag_ms"].append((start_ns - intended_ns) / 1e6)
        floats["ttft_ms"].append(ttft_ms)
        floats["e2e_ms"].append(e2e_ms)
        floats["tpot_ms"].append(tpot_ms)
        floats["model_ms"].append(model_ns / 1e6)
        floats["tool_ms"].append(tool_ns / 1e6)
        floats["cost_usd"].append(cost if priced else NAN)
        floats["agent_wait_ms"].append(agent_wait_ns / 1e6)
        floats["client_overhead_ms"].append(overhead / 1e6 if overhead != MISSING_INT else NAN)
        r.bools["ok"].append(ok)
        r.bools["downgraded"].append(downgraded)
        strs = r.strs
        strs["variant"].append(variant)
        strs["phase"].append(phase)
        strs["agent"].append(agent)
        strs["error_kind"].append(error_kind or "")
        strs["provider"].append(provider)
        strs["cache"].append(calls[0].cache if calls else "off")

        self.recorded += 1
        if self.spill is not None and len(r) >= self.spill.rows:
            self.spill.hand_over(self.requests, self.calls)
            self.requests = new_requests_table()
            self.calls = new_calls_table()
        live = self.live
        live.done += 1
        if not ok:
            live.errors += 1
        else:
            live.add_e2e(e2e_ms)
        if self.on_request is not None:
            self.on_request(
                variant,
                agent,
                provider,
                ok,
                error_kind or "",
                ttft_ms,
                e2e_ms,
                calls[0].cache if calls else "off",
                cost if priced else NAN,
                live.in_flight,
            )

    def _record_call(
        self, variant: str, idx: int, i: int, agent: str, call: CallResult
    ) -> float | None:
        t0 = self.t0_ns
        c = self.calls
        ints = c.ints
        ints["request_idx"].append(idx)
        ints["call_idx"].append(i)
        ints["start_ns"].append(call.start_ns - t0)
        ints["sent_ns"].append(call.sent_ns - t0 if call.sent_ns is not None else MISSING_INT)
        ints["first_token_ns"].append(
            call.first_token_ns - t0 if call.first_token_ns is not None else MISSING_INT
        )
        ints["end_ns"].append(call.end_ns - t0)
        ints["prompt_tokens"].append(call.prompt_tokens or 0)
        ints["output_tokens"].append(call.completion_tokens or 0)
        ints["cached_tokens"].append(call.cached_tokens)
        ints["estimated_prompt_tokens"].append(getattr(call, "estimated_prompt_tokens", 0) or 0)
        ints["status"].append(call.status or 0)
        ints["attempts"].append(call.attempts)
        ints["fallbacks"].append(call.fallbacks)
        floats = c.floats
        floats["ttft_ms"].append(
            (call.first_token_ns - call.start_ns) / 1e6 if call.first_token_ns is not None else NAN
        )
        floats["duration_ms"].append((call.end_ns - call.start_ns) / 1e6)
        floats["connect_ms"].append(call.connect_ns / 1e6)
        cost: float | None = None
        if self.cost_fn is not None and call.ok:
            cost = self.cost_fn(
                call.provider,
                call.model,
                call.prompt_tokens or 0,
                call.completion_tokens or 0,
                call.cached_tokens,
            )
        elif not call.ok:
            cost = 0.0 if not call.prompt_tokens else None
        floats["cost_usd"].append(cost if cost is not None else NAN)
        c.bools["ok"].append(call.ok)
        c.bools["usage_reported"].append(call.usage_reported)
        c.bools["new_connection"].append(call.new_connection)
        strs = c.strs
        strs["variant"].append(variant)
        strs["kind"].append("model")
        strs["name"].append(call.model)
        strs["agent"].append(agent)
        strs["provider"].append(call.provider)
        strs["error_kind"].append(call.error_kind or "")
        strs["attempt_errors"].append(",".join(call.attempt_errors))
        strs["cache"].append(call.cache)
        strs["stages"].append(
            json.dumps({k: v / 1e6 for k, v in call.stages_ns.items()}) if call.stages_ns else ""
        )
        if self.keep_itl and len(call.token_ns) > 1:
            tn = call.token_ns
            c.append_list("itl_ms", [(tn[k] - tn[k - 1]) / 1e6 for k in range(1, len(tn))])
        else:
            c.append_list("itl_ms", ())
        return cost

    def _record_tool(self, variant: str, idx: int, j: int, agent: str, tool: Any) -> None:
        t0 = self.t0_ns
        c = self.calls
        ints = c.ints
        for name, value in (
            ("request_idx", idx),
            ("call_idx", j),
            ("start_ns", tool.start_ns - t0),
            ("sent_ns", MISSING_INT),
            ("first_token_ns", MISSING_INT),
            ("end_ns", tool.end_ns - t0),
        ):
            ints[name].append(value)
        for name in (
            "prompt_tokens",
            "output_tokens",
            "cached_tokens",
            "estimated_prompt_tokens",
            "status",
            "fallbacks",
        ):
            ints[name].append(0)
        ints["attempts"].append(1)
        floats = c.floats
        floats["ttft_ms"].append(NAN)
        floats["duration_ms"].append((tool.end_ns - tool.start_ns) / 1e6)
        floats["connect_ms"].append(0.0)
        floats["cost_usd"].append(0.0)
        c.bools["ok"].append(tool.ok)
        c.bools["usage_reported"].append(False)
        c.bools["new_connection"].append(False)
        strs = c.strs
        strs["variant"].append(variant)
        strs["kind"].append("tool")
        strs["name"].append(tool.name)
        strs["agent"].append(agent)
        strs["provider"].append("")
        strs["error_kind"].append("" if tool.ok else "tool_error")
        strs["attempt_errors"].append("")
        strs["cache"].append("")
        strs["stages"].append("")
        c.append_list("itl_ms", ())
