"""Per-agent figures for ``summary.json["variants"][v]["agents"]``.

From live outcomes or from a saved run's frames. Time in model is the sum of a request's
model-call durations; time in tools is the wall time of its tool phases (concurrent tool
calls of one turn counted once). ``share`` splits model + tools time between the two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from raafperf.agents.runner import RequestOutcome


@dataclass(slots=True)
class _ToolFigures:
    calls: int = 0
    errors: int = 0
    total_ms: float = 0.0


@dataclass(slots=True)
class _AgentFigures:
    requests: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    turns: list[int] = field(default_factory=list)
    model_calls: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    model_ms: list[float] = field(default_factory=list)
    tool_ms: list[float] = field(default_factory=list)
    wait_ms: list[float] = field(default_factory=list)
    tools: dict[str, _ToolFigures] = field(default_factory=lambda: defaultdict(_ToolFigures))

    def add_request(
        self,
        *,
        ok: bool,
        error_kind: str,
        turns: int,
        model_calls: int,
        tool_calls: int,
        model_ms: float,
        tool_ms: float,
    ) -> None:
        self.requests += 1
        self.ok += bool(ok)
        if not ok:
            self.errors[error_kind or "unknown"] += 1
        self.turns.append(int(turns))
        self.model_calls += int(model_calls)
        self.tool_calls += int(tool_calls)
        self.model_ms.append(float(model_ms))
        self.tool_ms.append(float(tool_ms))

    def add_tool(self, name: str, ok: bool, duration_ms: float) -> None:
        figures = self.tools[name]
        figures.calls += 1
        figures.total_ms += duration_ms
        if not ok:
            figures.errors += 1
            self.tool_errors += 1

    def render(self) -> dict[str, Any]:
        n = self.requests
        model_total, tool_total = sum(self.model_ms), sum(self.tool_ms)
        both = model_total + tool_total
        out: dict[str, Any] = {
            "requests": n,
            "ok": self.ok,
            "errors": dict(sorted(self.errors.items())),
            "turns_per_request": {
                "mean": _mean(self.turns),
                "max": max(self.turns) if self.turns else None,
            },
            "model_calls": self.model_calls,
            "model_calls_per_request": self.model_calls / n if n else None,
            "tool_calls": self.tool_calls,
            "tool_calls_per_request": self.tool_calls / n if n else None,
            "tool_errors": self.tool_errors,
            "tool_error_rate": self.tool_errors / self.tool_calls if self.tool_calls else None,
            "time_ms": {
                "model": {
                    "mean": _mean(self.model_ms),
                    "total": model_total,
                    "share": model_total / both if both else None,
                },
                "tools": {
                    "mean": _mean(self.tool_ms),
                    "total": tool_total,
                    "share": tool_total / both if both else None,
                },
            },
            "tools": {
                name: {
                    "calls": t.calls,
                    "errors": t.errors,
                    "mean_ms": t.total_ms / t.calls if t.calls else None,
                }
                for name, t in sorted(self.tools.items())
            },
        }
        if self.wait_ms:
            out["agent_wait_ms"] = {"mean": _mean(self.wait_ms), "max": max(self.wait_ms)}
        return out


def _mean(values: list[float] | list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize_agents(data: Iterable[RequestOutcome] | Any, calls: Any = None) -> dict[str, Any]:
    """Per agent: requests, turns, model and tool calls, time in model vs tools, tool errors.

    ``data`` is either an iterable of :class:`RequestOutcome` (``calls`` unused) or a
    requests DataFrame (RECORDS.md columns; only ``phase == "measure"`` rows when the column
    is there) with, optionally, the matching calls DataFrame for the per-tool breakdown and
    tool errors. Pass one variant's rows.
    """
    if hasattr(data, "columns"):
        return _from_frames(data, calls)
    figures: dict[str, _AgentFigures] = defaultdict(_AgentFigures)
    for outcome in data:
        agent = figures[outcome.agent]
        agent.add_request(
            ok=outcome.ok,
            error_kind=outcome.error_kind or "",
            turns=outcome.turns,
            model_calls=len(outcome.calls),
            tool_calls=len(outcome.tools),
            model_ms=outcome.model_ms,
            tool_ms=outcome.tool_ms,
        )
        agent.wait_ms.append(outcome.agent_wait_ns / 1e6)
        for run in outcome.tools:
            agent.add_tool(run.name, run.ok, run.duration_ns / 1e6)
    return {name: f.render() for name, f in sorted(figures.items())}


def _from_frames(requests: Any, calls: Any) -> dict[str, Any]:
    if "phase" in requests.columns:
        requests = requests[requests["phase"] == "measure"]
    figures: dict[str, _AgentFigures] = defaultdict(_AgentFigures)
    for row in requests.itertuples(index=False):
        figures[row.agent].add_request(
            ok=bool(row.ok),
            error_kind=str(row.error_kind),
            turns=row.turns,
            model_calls=row.model_calls,
            tool_calls=row.tool_calls,
            model_ms=_finite(row.model_ms),
            tool_ms=_finite(row.tool_ms),
        )
    if calls is not None and len(calls):
        tools = calls[calls["kind"] == "tool"]
        if "phase" in requests.columns and "request_idx" in tools.columns:
            # Keep the tool calls of measured requests only.
            keys = ["variant", "request_idx"] if "variant" in tools.columns else ["request_idx"]
            measured = requests.rename(columns={"idx": "request_idx"})[keys].drop_duplicates()
            tools = tools.merge(measured, on=keys, how="inner")
        for row in tools.itertuples(index=False):
            if row.agent in figures:
                figures[row.agent].add_tool(str(row.name), bool(row.ok), _finite(row.duration_ms))
    return {name: f.render() for name, f in sorted(figures.items())}


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0
