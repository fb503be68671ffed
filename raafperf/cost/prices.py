"""The price table: USD per million tokens per model, shipped as ``prices.json``.

A scenario's ``prices:`` file and ``--prices FILE`` use the same format (JSON, YAML or TOML)
and are merged over the shipped table field by field: a new model needs ``input`` and
``output``; an existing one may change only what it names. A model the table does not know
is *unpriced*: :meth:`PriceTable.lookup` returns None and :func:`call_cost` returns None,
never 0, so a report can say so instead of calling it free.

Names are matched leniently but never guessed across models: exact name, then alias, then the
same after dropping a router prefix (``openai/``, ``models/``, ``anthropic.``), a date or
version suffix (``-2024-08-06``, ``-20241022``, ``-0125``, ``-001``, ``@20240620``,
``-v2:0``) or ``-latest``. Fine-tuned models (``ft:...``) are priced differently by every
provider and stay unpriced unless the table names them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raafperf.errors import UsageError

PER_TOKENS = 1_000_000
SHIPPED = "prices.json"


@dataclass(slots=True, frozen=True)
class ModelPrice:
    """One model's list prices in USD per million tokens."""

    model: str
    input: float
    output: float
    cached_input: float
    """Equal to ``input`` where the provider gives no cache discount."""
    provider: str = ""
    quality: float | None = None
    confirmed: bool = False


def call_cost(
    price: ModelPrice | None,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    multiplier: float = 1.0,
) -> float | None:
    """USD for one call, or None when the model is unpriced.

    ``prompt_tokens`` includes the cached ones, as OpenAI's ``usage`` does; those are priced
    at the cached-input rate and the rest at the input rate.
    """
    if price is None:
        return None
    cached = cached_tokens if cached_tokens < prompt_tokens else prompt_tokens
    if cached < 0:
        cached = 0
    return (
        (
            (prompt_tokens - cached) * price.input
            + cached * price.cached_input
            + completion_tokens * price.output
        )
        * multiplier
        / PER_TOKENS
    )


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = ""
    input: float | None = Field(default=None, ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    output: float | None = Field(default=None, ge=0)
    quality: float | None = Field(default=None, ge=0, le=100)
    confirmed: bool = False
    source: str = ""
    note: str = ""
    aliases: list[str] = Field(default_factory=list)


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: int = Field(default=1, alias="schema")
    currency: str = "USD"
    unit: str = ""
    checked: str | None = None
    about: list[str] | str = Field(default_factory=list)
    sources: dict[str, list[str] | str] = Field(default_factory=dict)
    models: dict[str, _Entry] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)


# Suffixes dropped one at a time, in this order, until a name matches.
_SUFFIXES = (
    re.compile(r"@\d{8}$"),  # Vertex: claude-3-5-sonnet@20240620
    re.compile(r"-v\d+(:\d+)?$"),  # Bedrock: ...-20241022-v2:0
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # gpt-4o-2024-08-06
    re.compile(r"-\d{8}$"),  # claude-3-5-sonnet-20241022
    re.compile(r"-\d{4}$"),  # gpt-3.5-turbo-0125, mistral-large-2411
    re.compile(r"-\d{3}$"),  # gemini-2.0-flash-001
    re.compile(r"-latest$"),
)
_PREFIX = re.compile(r"^(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|amazon|cohere)\.")


class PriceTable:
    """Prices by model name; lookups are memoised, so the hot path is one dict lookup."""

    def __init__(
        self,
        models: Mapping[str, ModelPrice],
        aliases: Mapping[str, str] | None = None,
        *,
        checked: str | None = None,
        files: Sequence[str] = (),
    ) -> None:
        self._models = dict(models)
        self._aliases = {k.lower(): v for k, v in (aliases or {}).items()}
        self._lower = {k.lower(): k for k in self._models}
        self._memo: dict[str, ModelPrice | None] = {}
        self.checked = checked
        self.files = list(files)

    # -- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, override: Path | str | Iterable[Path | str] | None = None) -> PriceTable:
        """The shipped table, with each override file merged over it in order."""
        paths: list[Path] = []
        if isinstance(override, str | Path):
            paths = [Path(override)]
        elif override is not None:
            paths = [Path(p) for p in override]
        text = resources.files("raafperf.cost").joinpath(SHIPPED).read_text(encoding="utf-8")
        merged = _parse(json.loads(text), f"raafperf/cost/{SHIPPED}")
        files = [SHIPPED]
        for path in paths:
            _merge(merged, _parse(_read(path), str(path)), str(path))
            files.append(str(path))
        return cls._build(merged, files)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], origin: str = "<data>") -> PriceTable:
        """A table from one document in the price-file format (no shipped prices)."""
        return cls._build(_parse(dict(data), origin), [origin])

    @classmethod
    def _build(cls, doc: _PriceFile, files: list[str]) -> PriceTable:
        models: dict[str, ModelPrice] = {}
        aliases: dict[str, str] = dict(doc.aliases)
        for name, e in doc.models.items():
            if e.input is None or e.output is None:
                raise UsageError(f"price table: models.{name}: needs both 'input' and 'output'")
            models[name] = ModelPrice(
                model=name,
                input=e.input,
                output=e.output,
                cached_input=e.input if e.cached_input is None else e.cached_input,
                provider=e.provider,
                quality=e.quality,
                confirmed=e.confirmed,
            )
            for alias in e.aliases:
                aliases.setdefault(alias, name)
        for alias, target in aliases.items():
            if target not in models:
                raise UsageError(f"price table: aliases.{alias}: no model named {target!r}")
        return cls(models, aliases, checked=doc.checked, files=files)

    # -- lookups ------------------------------------------------------------------------

    def lookup(self, model: str) -> ModelPrice | None:
        """The price of ``model`` (or of the model it names), or None when unpriced."""
        try:
            return self._memo[model]
        except KeyError:
            pass
        name = self.canonical(model)
        price = self._models[name] if name is not None else None
        self._memo[model] = price
        return price

    def canonical(self, model: str) -> str | None:
        """The table's own name for ``model``, or None."""
        for candidate in _candidates(model):
            if candidate in self._lower:
                return self._lower[candidate]
            if candidate in self._aliases:
                return self._aliases[candidate]
        return None

    def cost(
        self,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        multiplier: float = 1.0,
    ) -> float | None:
        """:func:`call_cost` for a model name."""
        return call_cost(
            self.lookup(model), prompt_tokens, completion_tokens, cached_tokens, multiplier
        )

    def quality(self, model: str) -> float | None:
        price = self.lookup(model)
        return price.quality if price is not None else None

    def names(self) -> list[str]:
        return list(self._models)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.lookup(model) is not None

    def __len__(self) -> int:
        return len(self._models)


def _candidates(model: str) -> Iterable[str]:
    name = model.strip().lower()
    if name.startswith("ft:"):
        yield name
        return
    seen: set[str] = set()
    bases = [name]
    # Router and gateway prefixes: openai/gpt-4o, models/gemini-2.5-flash, groq/x/y.
    rest = name
    while "/" in rest:
        rest = rest.split("/", 1)[1]
        bases.append(rest)
    stripped = _PREFIX.sub("", name)
    if stripped != name:
        bases.append(stripped)
    for base in bases:
        current = base
        while current and current not in seen:
            seen.add(current)
            yield current
            for suffix in _SUFFIXES:
                shorter = suffix.sub("", current)
                if shorter != current:
                    current = shorter
                    break
            else:
                break


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such price file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # json, yaml and toml each raise their own error type
        kind = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML"}.get(suffix, "JSON")
        raise UsageError(f"{path}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a price file is a mapping with a 'models' section")
    return data


def _parse(data: dict[str, Any], origin: str) -> _PriceFile:
    try:
        return _PriceFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(f"{origin}: {where}: {first['msg']}{more}") from None


def _merge(base: _PriceFile, extra: _PriceFile, origin: str) -> None:
    """Fold ``extra`` into ``base``: fields a model names replace the base's, others stay."""
    for name, entry in extra.models.items():
        key = next((k for k in base.models if k.lower() == name.lower()), None)
        if key is None:
            if entry.input is None or entry.output is None:
                raise UsageError(
                    f"{origin}: models.{name}: a model the table does not know needs both "
                    "'input' and 'output'"
                )
            base.models[name] = entry
            continue
        current = base.models[key]
        updates = {f: getattr(entry, f) for f in entry.model_fields_set}
        if "aliases" in updates:
            updates["aliases"] = [*current.aliases, *entry.aliases]
        base.models[key] = current.model_copy(update=updates)
    base.aliases.update(extra.aliases)
    if extra.checked:
        base.checked = extra.checked
