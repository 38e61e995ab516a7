"""The storage interface every service package writes through.

Service packages own their tables and write portable SQL with ``?`` placeholders; an
implementation (SQLite, PostgreSQL) adapts placeholders and runs each transaction
atomically. Rows are plain tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]


class Transaction(Protocol):
    """One open transaction: every statement commits together or not at all."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def lock(self, name: str) -> None:
        """Enter the named critical section (see ``Database.transaction``) for the rest of
        this writing transaction too: one transaction may then do the work of two that
        each name a lock, and commit once. Take locks in one order everywhere."""
        ...


class Database(Protocol):
    """A store of poolmail state: SQLite embedded, or PostgreSQL shared by replicas."""

    dialect: Dialect
    # True when statements are local work that never waits on the network (SQLite):
    # short transactions may then run on the event loop itself, when the store is quiet.
    local: bool

    def transaction(
        self, *, lock: str | None = None, readonly: bool = False
    ) -> AbstractContextManager[Transaction]:
        """Open a transaction; commit on normal exit, roll back on an exception.

        ``lock`` names a critical section (a quota counter, say) that concurrent
        transactions, in this process or another replica, enter one at a time.
        ``readonly`` opens a transaction that only reads: it sees one consistent snapshot,
        takes no write lock (so it neither waits for writers nor holds them up), and any
        statement that writes fails. ``lock`` and ``readonly`` do not go together.
        """
        ...

    def quiet(self) -> bool:
        """True when no transaction of this process holds a lock right now, so one started
        at once would not wait behind another (a hint: it may change the next moment).
        Always False for a store that is not ``local``."""
        ...

    def try_lock(self, name: str) -> AbstractContextManager[bool]:
        """Hold the named lock for the block if no one else holds it, in this process or
        another replica; yields whether it was taken. For work one replica should do."""
        ...

    def reset(self) -> None:
        """Delete every row of every table; the schema stays."""
        ...

    def close(self) -> None: ...
