"""One checklist item and its thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail"]

MAX_READ_TIMEOUT_S = 600.0
MAX_ATTEMPTS_SANE = 5
MAX_TTL_S = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class AuditItem:
    area: str
    """The guide's checklist section (Connection management, Caching, ...)."""
    name: str
    status: Status
    reason: str
    where: str = ""
    """The scenario key the item is about, e.g. ``providers[sim].client.timeouts``."""

    def to_dict(self) -> dict[str, str]:
        return {
            "area": self.area,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "where": self.where,
        }
