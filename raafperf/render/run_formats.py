"""A saved run in any output format, dispatching to the renderers."""

from __future__ import annotations

import json
from typing import Any

from raafperf.errors import UsageError

FORMATS = ("table", "json", "markdown", "junit", "html")


def render_run_format(saved: Any, fmt: str) -> str | bytes:
    if fmt == "json":
        return json.dumps(saved.summary, indent=2) + "\n"
    if fmt in ("markdown", "junit", "html", "table"):
        try:
            from raafperf.render import render_run
        except ImportError:
            raise UsageError(f"format {fmt!r} is not available in this build") from None
        return render_run(saved, fmt)
    raise UsageError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
