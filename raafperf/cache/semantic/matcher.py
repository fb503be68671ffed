"""Choosing a cached answer for a new query among the stored queries of its scope.

A candidate must reach the similarity threshold and pass every guard; the chosen one must
then beat the runner-up by ``margin`` unless the two ask the same thing. Candidates above the
threshold that a guard turned away are near-misses, reported with the reason.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from raafperf.cache.semantic.facts import extract
from raafperf.cache.semantic.guard import GUARDS, check


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str
    query: str
    score: float


@dataclass(frozen=True, slots=True)
class NearMiss:
    query: str
    candidate: str
    score: float
    reason: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "candidate": self.candidate,
            "score": round(self.score, 4),
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    match: Candidate | None
    near_misses: tuple[NearMiss, ...]


def choose(
    query: str,
    candidates: Sequence[Candidate],
    *,
    threshold: float,
    margin: float,
    guards: Collection[str] = GUARDS,
) -> Decision:
    """The candidate to serve (or None) and the near-misses seen on the way."""
    above = sorted((c for c in candidates if c.score >= threshold), key=lambda c: -c.score)
    facts = extract(query)
    near: list[NearMiss] = []
    passing: list[Candidate] = []
    for cand in above:
        verdict = check(facts, extract(cand.query), guards)
        if verdict is None:
            passing.append(cand)
        else:
            near.append(NearMiss(query, cand.query, cand.score, verdict[0], verdict[1]))
    if not passing:
        return Decision(None, tuple(near))
    best = passing[0]
    best_facts = extract(best.query)
    for other in passing[1:]:
        if best.score - other.score >= margin:
            break
        verdict = check(best_facts, extract(other.query), guards)
        if verdict is not None:
            near.append(
                NearMiss(
                    query,
                    best.query,
                    best.score,
                    "ambiguous",
                    f"{other.query!r} scores {other.score:.3f} ({verdict[0]})",
                )
            )
            return Decision(None, tuple(near))
    return Decision(best, tuple(near))
