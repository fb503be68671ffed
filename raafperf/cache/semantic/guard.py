"""Guards against wrong semantic hits, beyond a similarity threshold.

Two queries may share an answer only when they agree on numbers, names, quoted phrases,
negation and actions, name things in the same order, and do not differ in just one or two
content words while sharing the rest (the "same sentence, another city" near-miss). Each
guard can be turned off by name in the scenario.
"""

from __future__ import annotations

from collections.abc import Collection

from raafperf.cache.semantic.facts import Facts

GUARDS = ("numbers", "entities", "entity_order", "negation", "actions", "substitution")


def _show(values: Collection[str]) -> str:
    return ",".join(sorted(values)) or "-"


def check(a: Facts, b: Facts, guards: Collection[str] = GUARDS) -> tuple[str, str] | None:
    """The first guard that tells ``a`` and ``b`` apart, as (guard, detail), else None."""
    if "numbers" in guards and a.numbers != b.numbers:
        return "numbers", f"{_show(a.numbers)} vs {_show(b.numbers)}"
    if "entities" in guards:
        if a.quoted != b.quoted:
            return "entities", f"quoted {_show(a.quoted)} vs {_show(b.quoted)}"
        missing = [n for n in a.names if n not in b.words] + [
            n for n in b.names if n not in a.words
        ]
        if missing:
            return "entities", f"{_show(a.names)} vs {_show(b.names)}"
    if (
        "entity_order" in guards
        and len(a.names) > 1
        and set(a.names) == set(b.names)
        and a.names != b.names
    ):
        return "entity_order", f"{' '.join(a.names)} vs {' '.join(b.names)}"
    if "negation" in guards and a.negated != b.negated:
        return "negation", f"{a.negated} vs {b.negated}"
    if "actions" in guards and a.actions != b.actions:
        return "actions", f"{_show(a.actions)} vs {_show(b.actions)}"
    if "substitution" in guards:
        only_a = a.content - b.content
        only_b = b.content - a.content
        shared = a.content & b.content
        if (
            only_a
            and only_b
            and len(only_a) <= 2
            and len(only_b) <= 2
            and len(shared) >= max(len(only_a), len(only_b))
        ):
            return "substitution", f"{_show(only_a)} vs {_show(only_b)}"
    return None
