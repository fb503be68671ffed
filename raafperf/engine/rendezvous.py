"""Starting workers together across machines: a segment barrier and clock arithmetic (pure).

``perf_counter_ns`` is comparable only within one machine. A worker on the coordinator's
machine starts at the coordinator's start time as is. A worker elsewhere converts it to its own
clock with an offset measured by round trips to the coordinator (Cristian's method: the
sample with the shortest round trip; error at most half that round trip) — the same offset
that maps its timestamps onto the run's timeline. If the converted start looks wrong it starts
a fixed delay after the release reached it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class SegmentBarrier:
    """Releases segment ``number`` once every party still in the run has arrived at it.

    A party that ends (finished early, failed, lost) is dropped, which may release the
    segments the others are waiting at: the survivors stay synchronised.
    """

    def __init__(self, parties: Iterable[int]) -> None:
        self.parties = set(parties)
        self._arrived: dict[int, set[int]] = {}
        self.released: set[int] = set()

    def arrive(self, number: int, party: int) -> list[int]:
        """Record an arrival; return the segment numbers this releases (sorted)."""
        if number in self.released:
            return []
        self._arrived.setdefault(number, set()).add(party)
        return self._check()

    def drop(self, party: int) -> list[int]:
        """Take ``party`` out of the run; return the segment numbers this releases."""
        self.parties.discard(party)
        return self._check()

    def _check(self) -> list[int]:
        done = sorted(n for n, who in self._arrived.items() if self.parties <= who)
        for n in done:
            self.released.add(n)
            del self._arrived[n]
        return done


def estimate_offset(samples: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """``samples``: (local send, remote clock, local receipt) in ns. Returns ``(offset,
    round_trip)`` of the shortest round trip, with remote ≈ local + offset."""
    if not samples:
        raise ValueError("no clock samples")
    send, remote, receipt = min(samples, key=lambda s: s[2] - s[0])
    return remote - (send + receipt) // 2, receipt - send


def local_start(
    release_remote_ns: int, offset_ns: int, receipt_local_ns: int, delay_ns: int
) -> int:
    """The local perf_counter_ns at which to start a segment released at the coordinator's
    ``release_remote_ns`` (its start time there). Never before the release reached us; a
    conversion further off than ``delay_ns`` past the plain fallback (receipt + delay) is
    taken as a bad offset and the fallback is used."""
    converted = release_remote_ns - offset_ns
    fallback = receipt_local_ns + delay_ns
    if converted > fallback + delay_ns:
        return fallback
    return max(converted, receipt_local_ns)
