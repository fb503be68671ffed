"""Build one variant's call stack: provider clients → router → cache → agent pool.

Each layer comes from its own package; this module only wires them together in the order
of DESIGN.md's flow and closes them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from raafperf.scenario.model import Scenario


@dataclass(slots=True)
class Endpoint:
    """Where a provider answers in this run (the simulator's address, or the scenario's)."""

    base_url: str
    ca_file: str | None = None


@dataclass
class CallStack:
    clients: dict[str, Any]
    router: Any
    cache: Any
    agents: Any
    extra_stats: dict[str, Any] = field(default_factory=dict)

    async def stats(self) -> dict[str, Any]:
        astats = getattr(self.cache, "astats", None)
        cache = await astats() if astats is not None else self.cache.stats()
        out: dict[str, Any] = {
            "pool": {name: client.stats() for name, client in self.clients.items()},
            "router": self.router.stats(),
            "cache": cache,
            "agent_pool": self.agents.stats(),
        }
        out.update(self.extra_stats)
        return out

    async def aclose(self) -> None:
        for closer in (self.cache, self.router):
            close = getattr(closer, "aclose", None)
            if close is not None:
                await close()
        for client in self.clients.values():
            await client.aclose()


def build_stack(
    scenario: Scenario,
    endpoints: Mapping[str, Endpoint],
    *,
    seed: int,
    price_table: Any = None,
) -> CallStack:
    from raafperf.agents.pool import AgentPool
    from raafperf.cache import build_cache_layer
    from raafperf.client.provider import ProviderClient
    from raafperf.router import build_router

    clients: dict[str, Any] = {}
    for provider in scenario.providers:
        endpoint = endpoints[provider.name]
        clients[provider.name] = ProviderClient(
            provider,
            base_url=endpoint.base_url,
            ca_file=endpoint.ca_file or provider.client.ca_file,
        )
    from raafperf.engine.costing import cache_price_fn, router_price_of

    multipliers = {p.name: p.price_multiplier for p in scenario.providers}
    router = build_router(
        scenario.router,
        [(p, clients[p.name]) for p in scenario.providers],
        rng_seed=seed,
        price_of=router_price_of(price_table, multipliers) if price_table else None,
    )
    cache = build_cache_layer(
        scenario.cache,
        router,
        agents=scenario.agents,
        embed_client=_embed_client(scenario, clients),
        price_fn=cache_price_fn(price_table) if price_table else None,
    )
    selector = None
    if scenario.budget.per_request_usd is not None and price_table is not None:
        from raafperf.cost.budget import ModelSelector

        selector = ModelSelector(
            price_table, scenario.budget, served=[m for p in scenario.providers for m in p.models]
        )
    agents = AgentPool(
        scenario.agents,
        cache,
        stream=scenario.stream,
        seed=seed,
        selector=selector,
        default_size=scenario.load.concurrency,
    )
    return CallStack(clients=clients, router=router, cache=cache, agents=agents)


def _embed_client(scenario: Scenario, clients: Mapping[str, Any]) -> Any:
    """The provider client the semantic cache embeds through, when it asks for one."""
    semantic = getattr(scenario.cache, "semantic", None)
    name = getattr(semantic, "provider", None) if semantic is not None else None
    if name and name in clients:
        return clients[name]
    return next(iter(clients.values()), None)
