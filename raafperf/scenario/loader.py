"""Read a scenario file: YAML → overrides (profile, variants) → validated Scenario objects.

Every problem becomes one ScenarioError naming the file, the line and the field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from raafperf.errors import ScenarioError
from raafperf.scenario.model import QueryItem, Scenario
from raafperf.scenario.overrides import deep_merge
from raafperf.scenario.yaml_lines import line_of, load_with_lines

BASELINE = "baseline"


@dataclass(frozen=True, slots=True)
class Query:
    """One entry of the workload's query pool."""

    agent: str
    item: QueryItem
    weight: float
    """The probability weight of drawing this entry (set weight shared over its queries)."""


@dataclass(slots=True)
class LoadedScenario:
    path: Path
    scenario: Scenario
    """The baseline (with the selected profile applied)."""
    variants: dict[str, Scenario]
    """Every variant to run, baseline first."""
    sha256: str
    raw: dict[str, Any] = field(repr=False)
    profile: str | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p)


def load_scenario(path: str | Path, *, profile: str | None = None) -> LoadedScenario:
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", path=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read it ({exc.__class__.__name__})", path=shown) from None
    try:
        raw, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"invalid YAML: {problem}", path=shown, line=line) from None
    if not isinstance(raw, dict):
        raise ScenarioError(
            "a scenario is a YAML mapping (name:, providers:, ...)", path=shown, line=1
        )

    base_raw = raw
    if profile is not None:
        profiles = raw.get("profiles") or {}
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise ScenarioError(
                f"no profile named {profile!r} (known: {known})",
                path=shown,
                line=line_of(lines, ("profiles",)),
                field="profiles",
            )
        base_raw = _merge(raw, profiles[profile], shown, lines, ("profiles", profile))

    scenario = _validate(base_raw, shown, lines, ())
    variants = {BASELINE: scenario}
    for name, override in (scenario.variants or {}).items():
        if name == BASELINE:
            raise ScenarioError(
                "a variant cannot be named 'baseline'",
                path=shown,
                line=line_of(lines, ("variants", name)),
                field="variants",
            )
        merged = _merge(base_raw, override, shown, lines, ("variants", name))
        merged.pop("variants", None)
        variants[name] = _validate(merged, shown, lines, ("variants", name))

    loaded = LoadedScenario(
        path=path,
        scenario=scenario,
        variants=variants,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        raw=raw,
        profile=profile,
    )
    for variant in variants.values():
        _check_files(loaded, variant, lines)
    return loaded


def _merge(raw: dict[str, Any], override: Any, shown: str, lines: dict, where: tuple) -> Any:
    if not isinstance(override, dict):
        raise ScenarioError(
            "an override is a mapping of settings",
            path=shown,
            line=line_of(lines, where),
            field=".".join(map(str, where)),
        )
    try:
        return deep_merge(raw, override)
    except KeyError as exc:
        raise ScenarioError(
            str(exc.args[0]),
            path=shown,
            line=line_of(lines, where),
            field=".".join(map(str, where)),
        ) from None


def _validate(raw: dict[str, Any], shown: str, lines: dict, prefix: tuple) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = (line_of_exact(lines, (*prefix, *loc)) if prefix else None) or line_of(lines, loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required"
        field_name = _dotted(loc) or None
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ScenarioError(message, path=shown, line=line, field=field_name) from None


def line_of_exact(lines: dict, loc: tuple) -> int | None:
    # An override only knows lines for the keys it spells out: fall back to the base file.
    return lines.get(loc)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union", "json-or-python", "[key]")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _check_files(loaded: LoadedScenario, scenario: Scenario, lines: dict) -> None:
    for i, qs in enumerate(scenario.queries):
        if qs.file and not loaded.resolve(qs.file).is_file():
            raise ScenarioError(
                f"query file not found: {loaded.resolve(qs.file)}",
                path=str(loaded.path),
                line=line_of(lines, ("queries", i, "file")),
                field=f"queries[{i}].file",
            )
    if scenario.prices and not loaded.resolve(scenario.prices).is_file():
        raise ScenarioError(
            f"price file not found: {loaded.resolve(scenario.prices)}",
            path=str(loaded.path),
            line=line_of(lines, ("prices",)),
            field="prices",
        )


def build_query_pool(loaded: LoadedScenario, scenario: Scenario) -> list[Query]:
    """Every query of the workload with its drawing weight; files are read here, once."""
    pool: list[Query] = []
    for i, qs in enumerate(scenario.queries):
        items: list[QueryItem] = [
            t if isinstance(t, QueryItem) else QueryItem(text=t) for t in qs.texts
        ]
        if qs.file:
            items.extend(_read_query_file(loaded, loaded.resolve(qs.file), f"queries[{i}].file"))
        if not items:
            raise ScenarioError(
                "the query set has no queries", path=str(loaded.path), field=f"queries[{i}]"
            )
        if qs.context:
            items = [
                it.model_copy(update={"context": {**qs.context, **it.context}}) for it in items
            ]
        items = items * qs.repeat
        total = sum(it.weight for it in items)
        for it in items:
            pool.append(Query(agent=qs.agent, item=it, weight=qs.weight * it.weight / total))
    return pool


def _read_query_file(loaded: LoadedScenario, path: Path, field_name: str) -> list[QueryItem]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"cannot read {path} ({exc.__class__.__name__})",
            path=str(loaded.path),
            field=field_name,
        ) from None
    if path.suffix == ".txt":
        return [QueryItem(text=line.strip()) for line in text.splitlines() if line.strip()]
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if isinstance(data, str):
                data = {"text": data}
            items.append(QueryItem.model_validate(data))
        except (json.JSONDecodeError, ValidationError) as exc:
            why = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc.msg
            raise ScenarioError(f"{field_name}: {why}", path=str(path), line=n) from None
    return items
