"""Turn source paths from profilers into short paths and module names."""

from __future__ import annotations

import os
import sys
from functools import lru_cache


@lru_cache(maxsize=4096)
def short_path(path: str) -> str:
    """``path`` relative to the sys.path entry that gives the shortest result."""
    if not path or path.startswith("<"):
        return path
    best = path
    for entry in sys.path:
        if not entry:
            continue
        entry = os.path.abspath(entry)
        if path.startswith(entry.rstrip(os.sep) + os.sep):
            candidate = path[len(entry.rstrip(os.sep)) + 1 :]
            if len(candidate) < len(best):
                best = candidate
    return best


def module_of(short: str) -> str:
    """``raafperf/client/pool.py`` → ``raafperf.client.pool``; '' for non-Python paths."""
    if not short.endswith(".py"):
        return ""
    parts = short[:-3].replace("\\", "/").split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    # An absolute path left over (no sys.path entry matched): keep the file's own name.
    if short.startswith("/"):
        parts = parts[-1:]
    return ".".join(p for p in parts if p and p != "..")


def in_package(path: str, package: str) -> bool:
    return f"/{package}/" in path.replace("\\", "/")
