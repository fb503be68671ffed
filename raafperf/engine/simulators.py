"""Start the built-in simulator for the simulated providers of the variants being run.

One child process hosts every simulated provider (each on its own port), so the simulator
never competes with the load generator's event loop. Variants that change a simulated
provider's settings get a provider of their own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from raafperf.engine.stack import Endpoint
from raafperf.scenario.model import ProviderConfig, Scenario


def _spec_key(provider: ProviderConfig) -> str:
    blob = json.dumps(
        {"models": provider.models, "sim": provider.sim.model_dump(mode="json")}, sort_keys=True
    )
    return f"{provider.name}:{hashlib.sha256(blob.encode()).hexdigest()[:10]}"


class SimulatorSet:
    """Context manager: {variant: {provider: Endpoint}} for every provider of every variant."""

    def __init__(
        self, variants: Mapping[str, Scenario], *, seed: int, ground_truth_dir: Path | None
    ) -> None:
        self.variants = variants
        self.seed = seed
        self.ground_truth_dir = ground_truth_dir
        self._process: Any = None
        self.endpoints: dict[str, dict[str, Endpoint]] = {}
        self.spec_names: dict[str, str] = {}

    def __enter__(self) -> dict[str, dict[str, Endpoint]]:
        from raafperf.sim.process import SimulatedProviderSpec, SimulatorProcess

        specs: dict[str, Any] = {}
        names: dict[str, str] = {}
        for scenario in self.variants.values():
            for provider in scenario.providers:
                if provider.kind != "simulated":
                    continue
                key = _spec_key(provider)
                if key in specs:
                    continue
                # The first configuration of a provider keeps its name (the ground-truth
                # file is named after it); a variant's changed copy gets a suffix.
                name = provider.name
                if name in names.values():
                    name = f"{provider.name}-{len(specs)}"
                names[key] = name
                specs[key] = SimulatedProviderSpec(
                    name=name, models=list(provider.models), config=provider.sim
                )
        started: dict[str, Any] = {}
        if specs:
            self._process = SimulatorProcess(
                list(specs.values()), seed=self.seed, ground_truth_dir=self.ground_truth_dir
            )
            started = self._process.start()
        self.spec_names = names
        for variant, scenario in self.variants.items():
            table: dict[str, Endpoint] = {}
            for provider in scenario.providers:
                if provider.kind == "simulated":
                    sim = started[names[_spec_key(provider)]]
                    ca = str(sim.ca_cert_path) if sim.ca_cert_path else None
                    table[provider.name] = Endpoint(base_url=sim.base_url, ca_file=ca)
                else:
                    from raafperf.scenario.model import DEFAULT_BASE_URLS

                    base = provider.base_url or DEFAULT_BASE_URLS[provider.kind]
                    table[provider.name] = Endpoint(base_url=base.rstrip("/"))
            self.endpoints[variant] = table
        return self.endpoints

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
