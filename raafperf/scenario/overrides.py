"""Deep-merge of overrides (variants, profiles) into a raw scenario mapping.

A list of named items (providers, agents) is addressed by name in an override:
``{providers: {sim: {client: {pool: false}}}}`` changes only the provider named ``sim``.
"""

from __future__ import annotations

import copy
from typing import Any


def deep_merge(base: Any, override: Any, *, where: str = "") -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = (
                deep_merge(base[key], value, where=f"{where}.{key}")
                if key in base
                else (copy.deepcopy(value))
            )
        return out
    if isinstance(base, list) and isinstance(override, dict) and _named(base):
        out_list = [dict(item) for item in base]
        index = {item["name"]: i for i, item in enumerate(out_list)}
        for name, value in override.items():
            if name not in index:
                known = ", ".join(sorted(index))
                raise KeyError(f"{where.lstrip('.')}: no item named {name!r} (known: {known})")
            out_list[index[name]] = deep_merge(out_list[index[name]], value, where=where)
        return out_list
    return copy.deepcopy(override)


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)
