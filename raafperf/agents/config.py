"""Agents and their tools, as a scenario defines them.

A tool is either *simulated* (a latency distribution, a canned or templated result and a
failure rate, all seeded) or a *Python callable* named by import path. A Python tool runs
code from the scenario author's environment, so it is opt-in: the agent or the tool must
say ``allow_python_tools: true``, and the scenario is refused otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from raafperf.scenario.base import StrictModel
from raafperf.sim.config import Distribution

# Both the OpenAI and the Anthropic API accept only these tool names.
_TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"
# "package.module:function" or "package.module:Class.method"; no expressions, no eval.
_CALLABLE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

DEFAULT_RESULT = "Result of {name}({arguments})"


class ToolConfig(StrictModel):
    """One tool an agent offers the model.

    Simulated (default): waits ``latency_ms`` then answers ``result``, a template where
    ``{name}`` is the tool's name, ``{arguments}`` the arguments' JSON and ``{field}`` a
    top-level argument. Python: ``callable: "package.module:function"`` (sync or async),
    called with the parsed arguments dict; its return value (str, else JSON) is the result.
    """

    name: str = Field(pattern=_TOOL_NAME)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    latency_ms: Distribution | None = None
    """Simulated tools: how long a call takes (default 0 ms)."""
    result: str | None = None
    """Simulated tools: the answer text or template (default: "Result of {name}({arguments})")."""
    failure_rate: float = Field(default=0.0, ge=0, le=1)
    """Share of calls that fail (seeded); applies to simulated and Python tools."""
    error: str = "simulated tool failure"
    """The error text a failed simulated call sends back to the model."""
    seed: int | None = None
    """Extra seed for this tool's latency and failure draws (default: the run's seed only)."""
    callable: str | None = None
    """A Python tool: ``package.module:function``; needs ``allow_python_tools: true``."""
    allow_python_tools: bool | None = None
    """Opt in to running this tool's Python callable (default: the agent's setting)."""
    in_thread: bool = True
    """Python tools: run a sync function in a worker thread (false: inline, blocking the loop)."""
    timeout_s: float | None = Field(default=None, gt=0)
    """A call running longer than this fails with a timeout (the thread of a sync call is
    left to finish on its own)."""

    @field_validator("callable")
    @classmethod
    def _import_path(cls, value: str | None) -> str | None:
        if value is not None and not _CALLABLE.match(value):
            raise ValueError(f"{value!r} is not an import path like 'package.module:function'")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ToolConfig:
        if self.callable is not None and (self.result is not None or self.latency_ms is not None):
            raise ValueError(
                f"tool {self.name!r}: 'result' and 'latency_ms' are for simulated tools;"
                " a Python tool's result and time come from its function"
            )
        return self

    @property
    def is_python(self) -> bool:
        return self.callable is not None


class AgentConfig(StrictModel):
    """One agent type: its model, instructions, tools, limits and pool size."""

    name: str
    model: str
    instructions: str = ""
    tools: list[ToolConfig] = Field(default_factory=list)
    max_turns: int = Field(default=8, ge=1)
    """Model calls allowed per request; a request still asking for tools after them ends
    with error kind ``turn_limit``."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    pool_size: int | None = Field(default=None, ge=1)
    """Agents of this type in use at once; more requests wait (stage ``agent_wait``).
    Default: the pool's default (the engine passes the load's concurrency) or unbounded."""
    tool_rounds: int | None = Field(default=None, ge=0)
    """The simulator's script: tool-call rounds per request (default: the provider's
    ``simulator.tool_rounds``). A query's ``tool_rounds`` overrides it."""
    tool_sequence: list[str] | None = None
    """The simulator's script: the tool each round calls, cycling (default: the tools in
    order). A query's ``tools`` overrides it."""
    parallel_tools: bool = True
    """Run the tool calls of one turn concurrently (false: one after the other)."""
    tool_errors_fail_request: bool = False
    """A failed tool call ends the request with error kind ``tool_error`` (default: the
    error is sent back to the model and the request goes on)."""
    allow_python_tools: bool = False
    """Opt in to running the Python callables of this agent's tools."""

    @model_validator(mode="after")
    def _tools_consistent(self) -> AgentConfig:
        names = [t.name for t in self.tools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agent {self.name!r} has two tools named {dupes[0]!r}")
        if self.tool_sequence is not None:
            unknown = [n for n in self.tool_sequence if n not in names]
            if unknown:
                raise ValueError(
                    f"agent {self.name!r}: tool_sequence names {unknown[0]!r}, which is not"
                    f" one of its tools ({', '.join(names) or 'none'})"
                )
        if self.tool_rounds and not self.tools:
            raise ValueError(f"agent {self.name!r}: tool_rounds needs at least one tool")
        for tool in self.tools:
            if tool.is_python and not self.python_allowed(tool):
                raise ValueError(
                    f"agent {self.name!r}, tool {tool.name!r}: 'callable' runs Python code"
                    f" ({tool.callable}); set allow_python_tools: true on the agent or the"
                    " tool to allow it (only for scenarios you trust)"
                )
        return self

    def python_allowed(self, tool: ToolConfig) -> bool:
        """Whether this agent may run ``tool``'s Python callable (the tool's word wins)."""
        if tool.allow_python_tools is not None:
            return tool.allow_python_tools
        return self.allow_python_tools

    def tool(self, name: str) -> ToolConfig | None:
        return next((t for t in self.tools if t.name == name), None)
