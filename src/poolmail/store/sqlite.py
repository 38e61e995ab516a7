"""SQLite storage: one database file (WAL, fully synced) or a throwaway in-memory database.

Every transaction starts with BEGIN IMMEDIATE, taking SQLite's single write lock up front,
so transactions on one file run one at a time, across threads and processes alike.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from poolmail.store.base import Dialect, Row, Transaction

MEMORY = ":memory:"
BUSY_TIMEOUT_SECONDS = 10.0


class SqliteTransaction:
    """Statements on the connection of one open transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.failure: sqlite3.Error | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._run(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self._run(sql, params).fetchall()
        return rows

    def _run(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        # PostgreSQL aborts a whole transaction when one statement fails; SQLite would
        # carry on. Fail the same way here, so code tried on SQLite holds on PostgreSQL.
        if self.failure is not None:
            raise RuntimeError(
                "an earlier statement of this transaction failed; it can only roll back"
            ) from self.failure
        try:
            return self._connection.execute(sql, params)
        except sqlite3.Error as error:
            self.failure = error
            raise


class SqliteDatabase:
    """A SQLite database at ``path``, or in memory when ``path`` is ``":memory:"``."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._memory = path == MEMORY
        self._closed = False
        self._pool_lock = threading.Lock()  # guards _idle, _opened and _closed
        self._idle: list[sqlite3.Connection] = []
        self._opened: list[sqlite3.Connection] = []
        self._thread = threading.local()
        # An in-memory database lives and dies with its one connection, so transactions
        # take turns on it. (A shared-cache URI would let several connections see it, but
        # shared cache reports lock conflicts at once as SQLITE_LOCKED, ignoring
        # busy_timeout, so concurrent writers would fail instead of waiting.)
        self._gate: AbstractContextManager[Any] = (
            threading.Lock() if self._memory else nullcontext()
        )
        # Connect now, so a bad path fails at start rather than on the first request.
        self._release(self._connect())

    @contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        # ``lock`` needs nothing more: BEGIN IMMEDIATE already makes every transaction
        # a critical section of the whole database.
        del lock
        if getattr(self._thread, "in_transaction", False):
            raise RuntimeError("this thread already has a transaction open; nest none")
        with self._gate:
            connection = self._acquire()
            self._thread.in_transaction = True
            try:
                yield from self._run_transaction(connection)
            finally:
                self._thread.in_transaction = False
                self._release(connection)

    def _run_transaction(self, connection: sqlite3.Connection) -> Iterator[Transaction]:
        connection.execute("BEGIN IMMEDIATE")
        try:
            tx = SqliteTransaction(connection)
            yield tx
            if tx.failure is not None:
                raise RuntimeError(
                    "transaction rolled back: one of its statements failed"
                ) from tx.failure
            connection.execute("COMMIT")
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")

    def reset(self) -> None:
        with self.transaction() as tx:
            # Checked at COMMIT, when every table is empty, so the order of the deletes
            # below cannot trip a foreign key.
            tx.execute("PRAGMA defer_foreign_keys = ON")
            tables = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_version'"
            )
            for (name,) in tables:
                tx.execute(f"DELETE FROM {_quote(name)}")
            # Restart AUTOINCREMENT counters, as TRUNCATE ... RESTART IDENTITY does.
            if tx.fetchone("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
                tx.execute("DELETE FROM sqlite_sequence")

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            opened, self._opened, self._idle = self._opened, [], []
        for connection in opened:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        # Worker threads come and go (anyio retires idle ones), so connections belong to
        # this object and are lent to one thread at a time rather than tied to a thread.
        connection = sqlite3.connect(
            self._path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN / COMMIT / ROLLBACK ourselves
            check_same_thread=False,
        )
        connection.execute("PRAGMA foreign_keys = ON")
        if not self._memory:
            connection.execute("PRAGMA journal_mode = WAL")
            # NORMAL may lose the last commits on power loss; an acknowledged write must
            # survive, so sync the WAL at every commit.
            connection.execute("PRAGMA synchronous = FULL")
        with self._pool_lock:
            if self._closed:
                connection.close()
                raise RuntimeError("the database is closed")
            self._opened.append(connection)
        return connection

    def _acquire(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._closed:
                raise RuntimeError("the database is closed")
            if self._idle:
                return self._idle.pop()
        # The in-memory connection is never missing here: the gate lets one user at a time.
        assert not self._memory, "the in-memory database has one connection only"
        return self._connect()

    def _release(self, connection: sqlite3.Connection) -> None:
        with self._pool_lock:
            # Still in a transaction means even ROLLBACK failed: lend that one to nobody.
            if not self._closed and not connection.in_transaction:
                self._idle.append(connection)
                return
            if connection in self._opened:
                self._opened.remove(connection)
        connection.close()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
