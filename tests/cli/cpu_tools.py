"""Tools for the end-to-end tests: deliberately costly for the client."""

from __future__ import annotations

import time
from typing import Any


def burn(arguments: dict[str, Any]) -> str:
    end = time.perf_counter() + 0.010
    while time.perf_counter() < end:
        pass
    return "burnt"
