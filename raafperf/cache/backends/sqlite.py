"""SQLite backend: persists across runs, shared by processes on one machine (WAL mode).

Calls are synchronous: a primary-key read on a local file costs tens of microseconds, less
than handing it to a thread would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from raafperf.cache.backends.base import Selector
from raafperf.cache.entry import CacheEntry
from raafperf.errors import RaafperfError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, agent TEXT NOT NULL,
    model TEXT NOT NULL, query TEXT NOT NULL, scope TEXT NOT NULL, size INTEGER NOT NULL,
    expires REAL NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_used ON entries (ns, used);
CREATE TABLE IF NOT EXISTS semantic (
    ns TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, record BLOB NOT NULL,
    UNIQUE (ns, scope, key)
);
"""


class SqliteBackend:
    name = "sqlite"

    def __init__(
        self, path: str | Path, *, namespace: str = "raafperf", max_bytes: int | None = None
    ) -> None:
        self.path = Path(path)
        self.ns = namespace
        self.max_bytes = max_bytes
        self.evictions = 0
        self.expirations = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            row = self._db.execute(
                "SELECT coalesce(max(used), 0) FROM entries WHERE ns=?", (self.ns,)
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise RaafperfError(f"cannot open the sqlite cache at {self.path}: {exc}") from None
        self._tick = int(row[0])
        self._bytes: int | None = None

    def location(self) -> str:
        return str(self.path)

    def _next_tick(self) -> int:
        self._tick += 1
        return self._tick

    async def get(self, key: str, now: float) -> CacheEntry | None:
        row = self._db.execute(
            "SELECT value, expires FROM entries WHERE ns=? AND key=?", (self.ns, key)
        ).fetchone()
        if row is None:
            return None
        if row[1] <= now:
            self._delete_keys([key])
            self.expirations += 1
            return None
        self._db.execute(
            "UPDATE entries SET used=? WHERE ns=? AND key=?", (self._next_tick(), self.ns, key)
        )
        return CacheEntry.from_bytes(row[0])

    async def put(self, key: str, entry: CacheEntry, now: float) -> bool:
        value = entry.to_bytes()
        cost = len(value) + len(key)
        if self.max_bytes is not None and cost > self.max_bytes:
            return False
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._delete_keys([key], in_transaction=True)
            db.execute(
                "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    self.ns,
                    key,
                    value,
                    entry.agent,
                    entry.model,
                    entry.query,
                    entry.scope,
                    cost,
                    entry.expires_at,
                    self._next_tick(),
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._grow(cost)
        return True

    async def sem_put(
        self, scope: str, key: str, record: bytes, expires_at: float, now: float
    ) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute(
                "UPDATE entries SET size=size+?, scope=? WHERE ns=? AND key=?",
                (len(record), scope, self.ns, key),
            )
            if cur.rowcount:
                db.execute(
                    "INSERT OR REPLACE INTO semantic VALUES (?,?,?,?)",
                    (self.ns, scope, key, record),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if cur.rowcount:
            self._grow(len(record))

    async def sem_keys(self, scope: str, limit: int) -> list[str]:
        rows = self._db.execute(
            "SELECT key FROM semantic WHERE ns=? AND scope=? ORDER BY rowid DESC LIMIT ?",
            (self.ns, scope, limit),
        )
        return [k for (k,) in rows]

    async def sem_get(self, scope: str, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, record FROM semantic WHERE ns=? AND scope=? AND key IN ({marks})",
                (self.ns, scope, *chunk),
            )
            out.update((k, bytes(r)) for k, r in rows)
        return out

    async def sem_drop(self, scope: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM semantic WHERE ns=? AND scope=? AND key=?", (self.ns, scope, key)
        )

    async def entries(self) -> list[tuple[str, CacheEntry]]:
        rows = self._db.execute("SELECT key, value FROM entries WHERE ns=?", (self.ns,))
        return [(k, CacheEntry.from_bytes(v)) for k, v in rows]

    async def delete(self, selector: Selector) -> int:
        if selector.everything:
            keys = [
                k for (k,) in self._db.execute("SELECT key FROM entries WHERE ns=?", (self.ns,))
            ]
        else:
            keys = [k for k, e in await self.entries() if selector.matches(e)]
        self._delete_keys(keys)
        return len(keys)

    async def size(self) -> tuple[int, int]:
        return self.size_now()

    def size_now(self) -> tuple[int, int]:
        count, total = self._db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM entries WHERE ns=?", (self.ns,)
        ).fetchone()
        self._bytes = int(total)
        return int(count), int(total)

    async def aclose(self) -> None:
        self._db.close()

    def _delete_keys(self, keys: list[str], *, in_transaction: bool = False) -> None:
        if not keys:
            return
        db = self._db
        if not in_transaction:
            db.execute("BEGIN IMMEDIATE")
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                freed = db.execute(
                    f"SELECT coalesce(sum(size), 0) FROM entries WHERE ns=? AND key IN ({marks})",
                    (self.ns, *chunk),
                ).fetchone()[0]
                db.execute(
                    f"DELETE FROM entries WHERE ns=? AND key IN ({marks})", (self.ns, *chunk)
                )
                db.execute(
                    f"DELETE FROM semantic WHERE ns=? AND key IN ({marks})", (self.ns, *chunk)
                )
                if self._bytes is not None:
                    self._bytes -= int(freed)
            if not in_transaction:
                db.execute("COMMIT")
        except BaseException:
            if not in_transaction:
                db.execute("ROLLBACK")
            raise

    def _grow(self, cost: int) -> None:
        if self.max_bytes is None:
            return
        if self._bytes is not None:
            self._bytes += cost
        if self._bytes is not None and self._bytes <= self.max_bytes:
            return
        # Other processes may have written too: recount before evicting.
        self._bytes = int(
            self._db.execute(
                "SELECT coalesce(sum(size), 0) FROM entries WHERE ns=?", (self.ns,)
            ).fetchone()[0]
        )
        while self._bytes > self.max_bytes:
            rows = self._db.execute(
                "SELECT key FROM entries WHERE ns=? ORDER BY used LIMIT 2", (self.ns,)
            ).fetchall()
            if len(rows) < 2:  # never evict the entry just written
                break
            self._delete_keys([rows[0][0]])
            self.evictions += 1
