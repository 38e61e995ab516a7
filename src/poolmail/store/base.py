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


class Database(Protocol):
    """A store of poolmail state: SQLite embedded, or PostgreSQL shared by replicas."""

    dialect: Dialect

    def transaction(self, *, lock: str | None = None) -> AbstractContextManager[Transaction]:
        """Open a transaction; commit on normal exit, roll back on an exception.

        ``lock`` names a critical section (a quota counter, say) that concurrent
        transactions, in this process or another replica, enter one at a time.
        """
        ...

    def reset(self) -> None:
        """Delete every row of every table; the schema stays."""
        ...

    def close(self) -> None: ...
