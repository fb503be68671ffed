"""Load YAML while remembering the line of every mapping key and list item.

Pydantic reports where an error is as a path (``("load", "rate")``); users need a line in
their file. The YAML node tree knows lines, so we build the plain value and a map from
path to line in the same walk.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text into plain Python values and a {path: 1-based line} map."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    value = _construct(node, (), lines)
    return value, lines


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # SafeConstructor resolves tags (ints, floats, bools, nulls) exactly as yaml.safe_load.
    return _CONSTRUCTOR.construct_object(node, deep=True)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def line_of(lines: dict[Path_, int], loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest known prefix of a pydantic error location."""
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
