"""Executing one tool call: simulated tools and opted-in Python callables.

A tool never raises to the runner: every fault (bad arguments JSON, an injected failure, an
exception in a Python tool, a timeout, an unknown tool) becomes a failed :class:`ToolResult`
whose text is sent back to the model as the tool's answer.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from raafperf.agents.config import DEFAULT_RESULT, AgentConfig, ToolConfig
from raafperf.errors import ScenarioError
from raafperf.sim.sampling import Sampler, derive_seed

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(slots=True)
class ToolResult:
    ok: bool
    content: str
    error: str | None = None


def tool_spec(tool: ToolConfig) -> dict[str, Any]:
    """The OpenAI function-tool spec a model call offers (adapters convert it)."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def resolve_callable(path: str, *, where: str = "callable") -> Callable[..., Any]:
    """Import ``package.module:attr.path`` and return the callable it names.

    Only called for tools whose scenario opted in; failures are the user's input problem.
    """
    module_name, _, attr_path = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is a problem of the scenario's
        raise ScenarioError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}", field=where
        ) from None
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ScenarioError(
                f"{module_name!r} has no attribute {attr_path!r}", field=where
            ) from None
    if not callable(obj):
        raise ScenarioError(f"{path!r} is not callable", field=where)
    return obj


def render_result(template: str, name: str, arguments_json: str, args: Mapping[str, Any]) -> str:
    """Fill ``{name}``, ``{arguments}`` and ``{field}`` placeholders; leave unknown ones.

    A plain regex substitution rather than ``str.format``: JSON braces in the template need
    no escaping and a template cannot reach attributes of the values.
    """
    builtins = {"name": name, "arguments": arguments_json}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in builtins:
            return builtins[key]
        if key in args:
            value = args[key]
            return value if isinstance(value, str) else json.dumps(value, default=str)
        return match.group(0)

    return _PLACEHOLDER.sub(fill, template)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


class ToolBox:
    """The tools of one agent, ready to run; built once per pooled agent."""

    def __init__(self, agent: AgentConfig, *, seed: int = 0) -> None:
        self.agent = agent
        self.seed = seed
        self.specs: list[dict[str, Any]] = [tool_spec(t) for t in agent.tools]
        self._tools = {t.name: t for t in agent.tools}
        self._functions: dict[str, Callable[..., Any]] = {}
        for i, tool in enumerate(agent.tools):
            if tool.callable is None:
                continue
            where = f"agents[{agent.name}].tools[{i}].callable"
            # Re-checked here: configs built with model_construct skip the validators.
            if not agent.python_allowed(tool):
                raise ScenarioError(
                    f"tool {tool.name!r} runs Python code; set allow_python_tools: true"
                    " on the agent or the tool to allow it",
                    field=where,
                )
            self._functions[tool.name] = resolve_callable(tool.callable, where=where)

    async def run(self, name: str, arguments_json: str, *, key: tuple[object, ...]) -> ToolResult:
        """Run one call; ``key`` (request id, turn, index) seeds its latency and failure."""
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(False, f"Error: unknown tool {name!r}", f"unknown tool {name!r}")
        try:
            args = json.loads(arguments_json) if arguments_json.strip() else {}
        except ValueError as exc:
            why = f"arguments are not valid JSON: {exc}"
            return ToolResult(False, f"Error: {why}", why)
        if not isinstance(args, dict):
            why = "arguments are not a JSON object"
            return ToolResult(False, f"Error: {why}", why)
        rng = None
        if tool.failure_rate > 0 or (tool.latency_ms and tool.latency_ms.dist != "constant"):
            # Seeded per call, not per runner: a request's draws do not depend on which pooled
            # runner serves it, nor on the order requests arrive in.
            rng = random.Random(derive_seed(self.seed, tool.seed, self.agent.name, name, *key))
        fails = rng is not None and tool.failure_rate > 0 and rng.random() < tool.failure_rate
        if tool.callable is None:
            return await self._simulated(tool, arguments_json, args, rng, fails)
        if fails:
            return ToolResult(False, f"Error: {tool.error}", tool.error)
        return await self._python(tool, args)

    async def _simulated(
        self,
        tool: ToolConfig,
        arguments_json: str,
        args: dict[str, Any],
        rng: random.Random | None,
        fails: bool,
    ) -> ToolResult:
        dist = tool.latency_ms
        if dist is not None:
            if dist.dist == "constant" or rng is None:
                delay_ms = float(dist.value or 0)
            else:
                delay_ms = Sampler(dist, rng)()
            if delay_ms > 0:
                await asyncio.sleep(delay_ms / 1000)
        if fails:
            return ToolResult(False, f"Error: {tool.error}", tool.error)
        template = tool.result if tool.result is not None else DEFAULT_RESULT
        return ToolResult(True, render_result(template, tool.name, arguments_json, args))

    async def _python(self, tool: ToolConfig, args: dict[str, Any]) -> ToolResult:
        fn = self._functions[tool.name]
        try:
            if inspect.iscoroutinefunction(fn):
                work: Any = fn(args)
            elif tool.in_thread:
                work = asyncio.to_thread(fn, args)
            else:
                work = None
                value = fn(args)
                if inspect.isawaitable(value):
                    work = value
            if work is not None:
                value = await (asyncio.wait_for(work, tool.timeout_s) if tool.timeout_s else work)
            if inspect.isawaitable(value):
                value = await value
        except TimeoutError:
            why = f"timed out after {tool.timeout_s:g} s"
            return ToolResult(False, f"Error: {why}", why)
        except Exception as exc:  # a tool's exception is an answer to the model
            why = f"{type(exc).__name__}: {exc}"
            return ToolResult(False, f"Error: {why}", why)
        return ToolResult(True, _as_text(value))
