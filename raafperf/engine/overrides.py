"""Command-line overrides of the load section, applied to every variant."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from raafperf.errors import UsageError
from raafperf.scenario.loader import LoadedScenario


def apply_cli_overrides(loaded: LoadedScenario, **values: Any) -> LoadedScenario:
    changes = {k: v for k, v in values.items() if v is not None}
    if not changes:
        return loaded
    variants = {}
    for name, scenario in loaded.variants.items():
        load = scenario.load.model_dump()
        load.update(changes)
        if "rate" in changes and load["mode"] == "closed":
            load.update(mode="open", concurrency=None)
        if "concurrency" in changes and load["mode"] == "open":
            load.update(mode="closed", rate=None)
        try:
            new_load = type(scenario.load).model_validate(load)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise UsageError(
                f"--{'.'.join(map(str, err['loc'])) or 'load'}: "
                f"{err['msg'].removeprefix('Value error, ')}"
            ) from None
        variants[name] = scenario.model_copy(update={"load": new_load})
    loaded.variants = variants
    loaded.scenario = variants.get("baseline", loaded.scenario)
    return loaded
