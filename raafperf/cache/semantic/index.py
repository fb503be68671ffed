"""A process-local copy of each scope's query vectors, kept in step with the backend.

Every lookup asks the backend only for the scope's keys (small) and fetches the records it
has not seen yet, so vectors that other processes wrote through SQLite or Redis are found,
removed ones are dropped, and the similarity is one matrix product over what is in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from raafperf.cache.backends.base import Backend, unpack_semantic
from raafperf.cache.semantic.matcher import Candidate


@dataclass
class _Scope:
    keys: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    matrix: Any = None  # float32 (len(keys), dim)

    @property
    def keyset(self) -> set[str]:
        return set(self.keys)


class VectorIndex:
    def __init__(self, max_scopes: int = 4096) -> None:
        self.max_scopes = max_scopes
        self._scopes: OrderedDict[str, _Scope] = OrderedDict()

    async def candidates(
        self, backend: Backend, scope: str, vector: Any, *, limit: int, threshold: float
    ) -> list[Candidate]:
        """Stored queries of ``scope`` whose similarity to ``vector`` reaches ``threshold``."""
        keys = await backend.sem_keys(scope, limit)
        if not keys:
            self._scopes.pop(scope, None)
            return []
        known = self._scopes.get(scope)
        if known is None or known.keyset != set(keys):
            known = await self._refresh(backend, scope, keys, known, vector.shape[0])
        self._scopes.move_to_end(scope)
        if not known.keys:
            return []
        scores = known.matrix @ vector
        return [
            Candidate(known.keys[i], known.queries[i], float(scores[i]))
            for i in (scores >= threshold).nonzero()[0]
        ]

    def add(self, scope: str, key: str, query: str, vector: Any) -> None:
        """Record what this process just stored, so the next lookup needs no fetch."""
        import numpy as np

        known = self._scopes.get(scope)
        if known is None:
            return  # fetched on its first lookup
        if key in known.keyset:
            self.forget(scope)
            return
        row = vector.reshape(1, -1).astype(np.float32)
        if known.matrix is None or known.matrix.shape[1] != row.shape[1]:
            self.forget(scope)
            return
        known.keys.append(key)
        known.queries.append(query)
        known.matrix = np.vstack([known.matrix, row])

    def forget(self, scope: str) -> None:
        self._scopes.pop(scope, None)

    async def _refresh(
        self, backend: Backend, scope: str, keys: list[str], known: _Scope | None, dim: int
    ) -> _Scope:
        import numpy as np

        have: dict[str, tuple[str, Any]] = {}
        if known is not None and known.matrix is not None:
            have = {
                k: (q, known.matrix[i])
                for i, (k, q) in enumerate(zip(known.keys, known.queries, strict=True))
            }
        missing = [k for k in keys if k not in have]
        if missing:
            for key, record in (await backend.sem_get(scope, missing)).items():
                if len(record) < dim * 4:
                    continue
                query, raw = unpack_semantic(record, dim)
                have[key] = (query, np.frombuffer(raw, dtype=np.float32))
        fresh = _Scope()
        rows = []
        for key in keys:
            if key in have:
                fresh.keys.append(key)
                fresh.queries.append(have[key][0])
                rows.append(have[key][1])
        fresh.matrix = (
            np.vstack(rows).astype(np.float32, copy=False)
            if rows
            else np.zeros((0, dim), dtype=np.float32)
        )
        self._scopes[scope] = fresh
        while len(self._scopes) > self.max_scopes:
            self._scopes.popitem(last=False)
        return fresh
