"""Audit a scenario against the performance guide's checklist (``raafperf check``).

Each item passes, warns or fails, with the reason. Fail is kept for settings that can hang a
run, multiply load or spend without control; warn for practices the guide recommends that a
benchmark may leave out on purpose. The baseline (with the selected ``--profile``) is
audited; variants are experiments and are not. Sections of the schema still growing are read
with ``getattr`` and defaults, so an older or newer section never breaks the audit.
"""

from __future__ import annotations

from typing import Any

from raafperf.analysis.checklist.connection import cache_items, connection_items
from raafperf.analysis.checklist.item import AuditItem, Status
from raafperf.analysis.checklist.output import counts, print_audit
from raafperf.analysis.checklist.policy import (
    breaker_items,
    budget_items,
    fallback_items,
    measurement_items,
    provider_safety_items,
)

__all__ = ["AuditItem", "Status", "audit", "counts", "print_audit"]


def audit(loaded: Any) -> list[AuditItem]:
    """Every checklist item for ``loaded.scenario`` (a LoadedScenario, profile applied)."""
    scenario = loaded.scenario
    items: list[AuditItem] = []
    for provider in scenario.providers:
        items.extend(connection_items(provider, scenario))
    items.extend(cache_items(scenario))
    items.extend(budget_items(scenario))
    items.extend(fallback_items(scenario))
    items.extend(breaker_items(scenario))
    for provider in scenario.providers:
        items.extend(provider_safety_items(provider))
    items.extend(measurement_items(scenario))
    return items
