"""PostgreSQL storage, shared by every replica pointed at the same database.

A psycopg connection pool; ``?`` placeholders become ``%s``; a named lock is a
transaction-scoped advisory lock, so replicas enter the critical section one at a time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from poolmail.store.base import Dialect, PendingCommit, Row, Transaction

CONNECT_TIMEOUT_SECONDS = 10
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10

# A quoted string or identifier (kept whole, so a ``?`` inside stays literal), or a lone
# placeholder or percent sign.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[?%]")


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Turn ``?`` placeholders into psycopg's ``%s``, and literal ``%`` into ``%%``."""

    def replace(match: re.Match[str]) -> str:
        token = match.group()
        # psycopg reads % anywhere in the text, quoted strings included.
        return "%s" if token == "?" else token.replace("%", "%%")

    return _TOKEN.sub(replace, sql)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``, the same in every replica."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresTransaction:
    """Statements on the connection of one open transaction."""

    def __init__(self, connection: psycopg.Connection[Row]) -> None:
        self._connection = connection
        self.failure: psycopg.Error | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._cursor(sql, params) as cursor:
            return cursor.rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._cursor(sql, params) as cursor:
            return cursor.fetchone()

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._cursor(sql, params) as cursor:
            return cursor.fetchall()

    def lock(self, name: str) -> None:
        # Released by COMMIT or ROLLBACK, never left behind by a lost client.
        self.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(name),))

    def _cursor(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Row]:
        try:
            # Always pass a tuple, even an empty one: psycopg leaves the text alone (and
            # %% doubled) when given no parameters at all.
            return self._connection.execute(translate(sql), tuple(params))
        except psycopg.Error as error:
            self.failure = error
            raise


class PostgresDatabase:
    """A pool of connections to the PostgreSQL database at ``url``."""

    dialect: Dialect = "postgresql"
    local = False  # every statement is a round trip to the server

    def __init__(self, url: str) -> None:
        # One direct connection first: libpq's own reason (refused, bad password, no
        # such database) beats a pool timing out after its retries.
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            # Autocommit, so that transactions are exactly the conn.transaction() blocks.
            kwargs={"autocommit": True},
            # A connection left broken by a server restart is replaced, not lent out.
            check=ConnectionPool.check_connection,
            open=True,
            name="poolmail",
        )
        self._thread = threading.local()
        try:
            self._pool.wait(timeout=CONNECT_TIMEOUT_SECONDS)
        except BaseException:
            self._pool.close()
            raise

    @contextmanager
    def transaction(
        self, *, lock: str | None = None, readonly: bool = False
    ) -> Iterator[Transaction]:
        if lock is not None and readonly:
            raise ValueError("a read-only transaction takes no lock")
        # Nesting would work here but deadlock on SQLite; refuse it on both alike.
        if getattr(self._thread, "in_transaction", False):
            raise RuntimeError("this thread already has a transaction open; nest none")
        self._thread.in_transaction = True
        try:
            with (
                self._pool.connection() as connection,
                _access(connection, readonly),
                connection.transaction(),
            ):
                tx = PostgresTransaction(connection)
                if lock is not None:
                    tx.lock(lock)
                yield tx
                # psycopg would quietly roll back a transaction whose failed statement
                # was caught; say so instead, as the caller expects a commit.
                if tx.failure is not None:
                    raise RuntimeError(
                        "transaction rolled back: one of its statements failed"
                    ) from tx.failure
        finally:
            self._thread.in_transaction = False

    @contextmanager
    def try_lock(self, name: str) -> Iterator[bool]:
        # A session-level advisory lock on a connection of its own, held for the block and
        # released on the same connection; a replica that dies releases it with its session.
        with self._pool.connection() as connection:
            connection.autocommit = True
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (lock_key(name),)
            ).fetchone()
            taken = bool(row and row[0])
            try:
                yield taken
            finally:
                if taken:
                    connection.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))

    @contextmanager
    def deferred_commits(self) -> Iterator[PendingCommit]:
        # Every transaction here commits as it ends: nothing is left pending.
        yield PendingCommit()

    def make_durable(self, pending: PendingCommit) -> None:
        pass

    def committing(self) -> bool:
        return False

    def quiet(self) -> bool:
        return False  # not local: its transactions always run on worker threads

    def reset(self) -> None:
        with self.transaction() as tx:
            tables = tx.fetchall(
                "SELECT tablename FROM pg_tables"
                " WHERE schemaname = current_schema() AND tablename <> 'schema_version'"
            )
            if tables:
                # One statement for all tables, so foreign keys between them never object.
                names = ", ".join(_quote(name) for (name,) in tables)
                tx.execute(f"TRUNCATE {names} RESTART IDENTITY")

    def close(self) -> None:
        self._pool.close()


@contextmanager
def _access(connection: psycopg.Connection[Row], readonly: bool) -> Iterator[None]:
    """With ``readonly``, the transaction opens as BEGIN READ ONLY (no extra round trip);
    the pooled connection is handed back as it was lent."""
    if not readonly:
        yield
        return
    connection.read_only = True
    try:
        yield
    finally:
        # A connection broken meanwhile refuses the change; the pool discards it anyway.
        with contextlib.suppress(psycopg.Error):
            connection.read_only = None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
