"""The scenario schema: what a scenario YAML file may say, validated by pydantic.

Unknown keys are errors everywhere. Paths are resolved relative to the scenario file by
the loader, which also turns validation errors into ``file:line: field: why``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from raafperf.agents.config import AgentConfig
from raafperf.cache.config import CacheConfig
from raafperf.client.config import ClientConfig
from raafperf.cost.config import BudgetConfig
from raafperf.profiling.config import GcMode
from raafperf.router.config import RouterConfig
from raafperf.scenario.base import StrictModel
from raafperf.sim.config import SimulatorConfig

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
}


class ProviderRateLimit(StrictModel):
    """Client-side limits the router keeps under (requests and tokens per minute)."""

    rpm: float | None = Field(default=None, gt=0)
    tpm: float | None = Field(default=None, gt=0)


class ProviderConfig(StrictModel):
    name: str = Field(min_length=1)
    kind: Literal["simulated", "openai", "anthropic"]
    api: Literal["openai", "anthropic"] | None = None
    """The API the client speaks; defaults to the kind, and to openai for simulated."""
    base_url: str | None = None
    """API root without /v1; the simulator's is filled in at run time."""
    api_key_env: str | None = None
    models: list[str] = Field(min_length=1)
    simulator: SimulatorConfig | None = None
    client: ClientConfig = ClientConfig()
    weight: float = Field(default=1.0, gt=0)
    priority: int = 0
    price_multiplier: float = Field(default=1.0, gt=0)
    """Scales the price table for this provider (resellers, discounts)."""
    rate_limit: ProviderRateLimit | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProviderConfig:
        if self.kind != "simulated" and self.simulator is not None:
            raise ValueError("only a simulated provider takes a 'simulator' section")
        if self.api is not None and self.kind != "simulated" and self.api != self.kind:
            raise ValueError(f"a {self.kind} provider speaks the {self.kind} API")
        return self

    @property
    def api_name(self) -> str:
        if self.api:
            return self.api
        return "openai" if self.kind == "simulated" else self.kind

    @property
    def sim(self) -> SimulatorConfig:
        return self.simulator or SimulatorConfig()


class QueryItem(StrictModel):
    """One query text, with what a query can say beyond its text."""

    text: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    context: dict[str, str] = Field(default_factory=dict)
    tool_rounds: int | None = Field(default=None, ge=0)
    tools: list[str] | None = None


class QuerySet(StrictModel):
    """Queries for one agent: inline ``texts`` and/or a ``file`` (.txt one per line, .jsonl)."""

    agent: str
    texts: list[str | QueryItem] = Field(default_factory=list)
    file: str | None = None
    weight: float = Field(default=1.0, gt=0)
    """Share of requests drawn from this set, relative to the other sets."""
    repeat: int = Field(default=1, ge=1)
    """Each query appears this many times in the set (repeats make cache hits possible)."""
    context: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_queries(self) -> QuerySet:
        if not self.texts and not self.file:
            raise ValueError("a query set needs 'texts' or a 'file'")
        if self.file and not re.search(r"\.(txt|jsonl)$", self.file):
            raise ValueError("a query file must end in .txt or .jsonl")
        return self


class LoadConfig(StrictModel):
    mode: Literal["closed", "open"] = "closed"
    concurrency: int | None = Field(default=None, ge=1)
    rate: float | None = Field(default=None, gt=0)
    """Open loop: requests per second."""
    arrival: Literal["poisson", "constant"] = "poisson"
    requests: int | None = Field(default=None, ge=1)
    duration: float | None = Field(default=None, gt=0)
    """Seconds."""
    warmup: int = Field(default=0, ge=0)
    """Requests at the start that are excluded from statistics."""
    seed: int = 0
    workers: int | None = Field(default=None, ge=1)
    max_in_flight: int = Field(default=10_000, ge=1)
    """Open loop: a cap on requests in flight, so an overloaded target cannot exhaust memory."""

    @model_validator(mode="after")
    def _mode_fields(self) -> LoadConfig:
        if self.mode == "closed":
            if self.concurrency is None:
                raise ValueError("closed loop needs 'concurrency'")
            if self.rate is not None:
                raise ValueError("'rate' is for open loop (mode: open)")
        else:
            if self.rate is None:
                raise ValueError("open loop needs 'rate' (requests per second)")
            if self.concurrency is not None:
                raise ValueError("'concurrency' is for closed loop (mode: closed)")
        if self.requests is None and self.duration is None:
            raise ValueError("bound the run with 'requests' and/or 'duration'")
        return self


_THRESHOLD_KEY = re.compile(
    r"^(?:(?:p50|p90|p95|p99|mean|max)_(?:ttft|itl|tpot|e2e)_ms"
    r"|error_rate|min_throughput_rps|min_goodput_rps|max_cost_per_request_usd)$"
)


def _threshold_name(key: str) -> str:
    if not _THRESHOLD_KEY.match(key):
        raise ValueError(
            f"unknown threshold {key!r} (e.g. p95_ttft_ms, mean_e2e_ms, error_rate,"
            " min_throughput_rps, max_cost_per_request_usd)"
        )
    return key


ThresholdName = Annotated[str, AfterValidator(_threshold_name)]


class Slo(StrictModel):
    """Per-request service levels; a request meeting all of them counts towards goodput."""

    ttft_ms: float | None = Field(default=None, gt=0)
    tpot_ms: float | None = Field(default=None, gt=0)
    e2e_ms: float | None = Field(default=None, gt=0)


class Scenario(StrictModel):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    providers: list[ProviderConfig] = Field(min_length=1)
    agents: list[AgentConfig] = Field(min_length=1)
    queries: list[QuerySet] = Field(min_length=1)
    load: LoadConfig
    stream: bool = True
    thresholds: dict[ThresholdName, float] = Field(default_factory=dict)
    slo: Slo = Slo()
    cache: CacheConfig = CacheConfig()
    router: RouterConfig = RouterConfig()
    budget: BudgetConfig = BudgetConfig()
    prices: str | None = None
    """A price table file that overrides the shipped one (relative to the scenario)."""
    gc: GcMode = "default"
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Named overrides of any setting; bench runs the baseline and each variant."""
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Named environment overrides selected with --profile."""
    gate: dict[str, str] = Field(default_factory=dict)
    """Regression thresholds for compare, e.g. {p95_ttft: 10%, error_rate: +0.5pp}."""

    @field_validator("gate")
    @classmethod
    def _gate(cls, value: dict[str, str]) -> dict[str, str]:
        from raafperf.analysis.thresholds import validate_gate

        validate_gate(value)
        return value

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _unique("providers", [p.name for p in self.providers])
        _unique("agents", [a.name for a in self.agents])
        agents = {a.name for a in self.agents}
        for i, qs in enumerate(self.queries):
            if qs.agent not in agents:
                raise ValueError(f"queries[{i}].agent: no agent named {qs.agent!r}")
        served = {m for p in self.providers for m in p.models}
        for model in self.budget.candidates:
            if model not in served:
                raise ValueError(f"budget.candidates: no provider serves {model!r}")
        for agent in self.agents:
            if agent.model not in served:
                raise ValueError(
                    f"agent {agent.name!r} uses model {agent.model!r}, which no provider serves"
                )
        return self

    def provider(self, name: str) -> ProviderConfig:
        return next(p for p in self.providers if p.name == name)

    def agent(self, name: str) -> AgentConfig:
        return next(a for a in self.agents if a.name == name)


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two {what} are named {name!r}")
        seen.add(name)
