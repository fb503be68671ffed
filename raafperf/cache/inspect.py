"""What ``raafperf cache stats|clear`` do, apart from the command line."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from raafperf.cache.backends import Backend, Selector, open_backend
from raafperf.cache.config import CacheConfig
from raafperf.errors import RaafperfError, UsageError


def cache_config(
    *,
    scenario: Path | None = None,
    variant: str | None = None,
    backend: str | None = None,
    path: str | None = None,
    url: str | None = None,
    namespace: str | None = None,
) -> CacheConfig:
    """The cache section of a scenario (or the defaults) with the command line's overrides.

    A path is taken as the engine takes it: relative to the working directory.
    """
    base: dict[str, Any] = {}
    if scenario is not None:
        from raafperf.scenario.loader import load_scenario

        loaded = load_scenario(scenario)
        name = variant or "baseline"
        if name not in loaded.variants:
            known = ", ".join(loaded.variants)
            raise UsageError(f"the scenario has no variant {name!r} (known: {known})")
        base = loaded.variants[name].cache.model_dump()
    elif variant is not None:
        raise UsageError("--variant needs --scenario")
    overrides = {"backend": backend, "path": path, "url": url, "namespace": namespace}
    base.update({k: v for k, v in overrides.items() if v is not None})
    if backend is None and scenario is None:
        base["backend"] = "redis" if url else "sqlite"
    try:
        config = CacheConfig.model_validate(base)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{where}: {first['msg']}") from None
    if config.backend == "memory":
        raise UsageError(
            "the memory cache lives only during a run; name a persistent one with"
            " --backend sqlite --path FILE or --backend redis --url URL"
        )
    if config.backend == "sqlite" and not Path(config.path).is_file():
        raise RaafperfError(f"no sqlite cache at {config.path}")
    return config


async def _open(config: CacheConfig) -> Backend:
    backend = open_backend(config)
    try:
        await backend.size()
    except Exception as exc:  # the server is down or refuses us: say where, not the password
        await _close_quietly(backend)
        raise RaafperfError(
            f"cannot reach the {config.backend} cache at {backend.location()}:"
            f" {type(exc).__name__}: {exc}"
        ) from None
    return backend


async def _close_quietly(backend: Backend) -> None:
    with contextlib.suppress(Exception):  # closing a connection that never opened
        await backend.aclose()


async def describe(config: CacheConfig, now: float | None = None) -> dict[str, Any]:
    """Entries, bytes, expired entries, semantic entries, by agent and by model."""
    backend = await _open(config)
    try:
        entries = await backend.entries()
        count, size = await backend.size()
    finally:
        await _close_quietly(backend)
    now = time.time() if now is None else now
    by_agent: dict[str, dict[str, int]] = defaultdict(lambda: {"entries": 0, "bytes": 0})
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"entries": 0, "bytes": 0})
    for key, entry in entries:
        for table, name in ((by_agent, entry.agent or "-"), (by_model, entry.model or "-")):
            table[name]["entries"] += 1
            table[name]["bytes"] += entry.size + len(key)
    created = [e.created_at for _, e in entries]
    return {
        "backend": config.backend,
        "location": backend.location(),
        "namespace": config.namespace,
        "entries": count,
        "bytes": size,
        "expired": sum(1 for _, e in entries if e.expires_at <= now),
        "semantic_entries": sum(1 for _, e in entries if e.scope),
        "oldest": min(created) if created else None,
        "newest": max(created) if created else None,
        "by_agent": dict(by_agent),
        "by_model": dict(by_model),
    }


async def remove(config: CacheConfig, selector: Selector) -> int:
    backend = await _open(config)
    try:
        return await backend.delete(selector)
    finally:
        await _close_quietly(backend)
