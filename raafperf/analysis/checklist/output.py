"""The audit as a table grouped by checklist section."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from raafperf.analysis.checklist.item import AuditItem

_MARKS = {"pass": ("✓ pass", "green"), "warn": ("! warn", "yellow"), "fail": ("✗ FAIL", "red")}


def counts(items: Iterable[AuditItem]) -> dict[str, int]:
    out = {"pass": 0, "warn": 0, "fail": 0}
    for item in items:
        out[item.status] += 1
    return out


def print_audit(items: list[AuditItem], console: Any = None) -> None:
    """The audit as a table grouped by checklist section, then one line of counts."""
    from rich.table import Table
    from rich.text import Text

    from raafperf.render.console import make_console

    if console is None:
        console = make_console()
    table = Table(title="performance checklist", title_justify="left")
    table.add_column("section")
    table.add_column("item")
    table.add_column("status")
    table.add_column("reason")
    last_area = None
    for item in items:
        text, style = _MARKS[item.status]
        table.add_row(
            item.area if item.area != last_area else "",
            item.name,
            Text(text, style=style),
            Text(item.reason),
        )
        last_area = item.area
    console.print(table)
    c = counts(items)
    console.print(f"audit: {c['pass']} passed, {c['warn']} warned, {c['fail']} failed")
