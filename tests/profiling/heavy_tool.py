"""A deliberately allocation-heavy Python tool, for the memory profile's tests.

It builds a large in-memory index (~12 MB of small strings) for every call and answers with
one line, so at the memory high-water mark this function holds far more than anything else.
"""

from __future__ import annotations

from typing import Any

ROWS = 100_000


def build_index(arguments: dict[str, Any]) -> str:
    index = [f"row-{i:07d}-{arguments.get('query', '')}" for i in range(ROWS)]
    lookup = {row: n for n, row in enumerate(index)}
    return f"indexed {len(lookup)} rows"


def make_garbage(arguments: dict[str, Any]) -> str:
    """Short-lived containers, one in ten in a reference cycle: work for the cyclic collector."""
    made = 0
    for i in range(5_000):
        node: dict[str, Any] = {"i": i, "children": [arguments]}
        if i % 10 == 0:
            node["children"].append(node)
        made += len(node)
    return f"made {made}"
