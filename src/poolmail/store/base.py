"""The storage interface every service package writes through.

Service packages own their tables and write portable SQL with ``?`` placeholders; an
implementation (SQLite, PostgreSQL) adapts placeholders and runs each transaction
atomically. Rows are plain tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class PendingCommit:
    """Writes made in a ``Database.deferred_commits()`` block whose COMMIT is still to
    come: the groups (see store/sqlite.py) they joined, none when nothing is pending."""

    batches: list[int] = field(default_factory=list)


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

    def deferred_commits(self) -> AbstractContextManager[PendingCommit]:
        """Within the block, this thread's writing transactions end without waiting for
        the COMMIT that makes them durable; the block's reads still see them. The caller
        must then call ``make_durable`` before it tells anyone the writes happened.

        This lets work done on the event loop share one commit (one fsync) with the
        requests that arrive meanwhile, instead of stalling the loop for each. A store
        that commits nothing late (PostgreSQL, in-memory SQLite) leaves it None.
        """
        ...

    def make_durable(self, pending: PendingCommit) -> None:
        """Return once the writes ``pending`` holds are committed (committing them if no
        one else has); raise if their group's commit failed."""
        ...

    def committing(self) -> bool:
        """True while a commit of this process is under way (see ``deferred_commits``)."""
        ...

    def try_lock(self, name: str) -> AbstractContextManager[bool]:
        """Hold the named lock for the block if no one else holds it, in this process or
        another replica; yields whether it was taken. For work one replica should do."""
        ...

    def reset(self) -> None:
        """Delete every row of every table; the schema stays."""
        ...

    def close(self) -> None: ...
