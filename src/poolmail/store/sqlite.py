"""SQLite storage: one database file (WAL) or a throwaway in-memory database.

Every writing transaction holds SQLite's single write lock (BEGIN IMMEDIATE), so writers
on one file run one at a time, across threads and processes alike. In this process they
share one connection and commit in groups: each transaction runs alone in a SAVEPOINT of
an open SQLite transaction, and whoever finishes first COMMITs for everyone who finished
meanwhile; nobody returns before the COMMIT that holds their writes is synced. One fsync
then covers many concurrent writers instead of one each, and a transaction's atomicity,
isolation (they still run one after the other) and durability stay as they were. A
read-only transaction (BEGIN DEFERRED on a connection opened read-only) reads a WAL
snapshot of what was committed, and waits for nobody.

Across processes (`poolmail serve --workers N`, or anything else of poolmail's on the same
file) writers take turns through lock files beside the database (store/file_locks.py),
held from BEGIN IMMEDIATE to the group's COMMIT: a writer of another process then sleeps
in the kernel until its turn, instead of in SQLite's busy handler, which polls with
sleeps of up to 100 ms. Named try-locks (``try_lock``) are lock files there too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Literal, cast

from poolmail.store import checkpoints, file_locks
from poolmail.store.base import Dialect, PendingCommit, Row, Transaction

MEMORY = ":memory:"
BUSY_TIMEOUT_SECONDS = 10.0
# SQLite's page cache of each read-only connection (see _connect).
READER_CACHE_KIB = 512
# Beside the database, as SQLite's own -wal and -shm files: the writers' lock file and the
# named try-locks.
LOCKS_SUFFIX = "-locks"


class SqliteTransaction:
    """Statements on the connection of one open transaction."""

    def __init__(self, connection: sqlite3.Connection, *, readonly: bool = False) -> None:
        self._connection = connection
        self.readonly = readonly
        self.failure: sqlite3.Error | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._run(sql, params).rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self._run(sql, params).fetchall()
        return rows

    def lock(self, name: str) -> None:
        # Nothing to take: a writing transaction holds SQLite's one write lock already.
        # A read-only one cannot enter a critical section, as on PostgreSQL.
        if self.readonly:
            raise ValueError("a read-only transaction takes no lock")

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

    def __init__(
        self, path: str, *, sync: Literal["full", "normal"] = "normal", shared: bool = False
    ) -> None:
        self._path = path
        self._sync = sync
        self._named_locks: dict[str, threading.Lock] = {}
        self._named_locks_guard = threading.Lock()
        self._memory = path == MEMORY
        self.local = True  # see Database.local
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
        # Group commit (file databases): writers take turns on one connection under
        # _writer; _batch numbers the open SQLite transaction, _durable the last one
        # committed; _committing lets one writer at a time COMMIT for the rest.
        self._writer = threading.Lock()
        self._committing = threading.Lock()
        self._batch = 0
        self._batch_kept = 0
        self._durable = 0
        self._lost: dict[int, BaseException] = {}
        # The writers' lock across processes (see the module's docstring), held while
        # _write_connection is in a transaction; a file database's only.
        self._locks_dir = None if self._memory else path + LOCKS_SUFFIX
        self._writers = None if self._locks_dir is None else file_locks.WritersLock(self._locks_dir)
        # Whether other server processes write this file (`--workers`): only then is the
        # writers' lock worth asking about in ``quiet`` (four flock calls, on every
        # request that could run on the event loop).
        self._shared = shared
        # Connect now, so a bad path fails at start rather than on the first request.
        self._write_connection = self._connect()
        if self._memory:
            self._release(self._write_connection)
        # WAL checkpoints on a thread of their own (store/checkpoints.py), stopped by
        # close, or when this object is collected unclosed.
        self._checkpoints: checkpoints.Checkpointer | None = None
        if not self._memory:
            self._checkpoints = checkpoints.start(
                path,
                self._write_connection,
                synchronous=sync.upper(),
                timeout=BUSY_TIMEOUT_SECONDS,
            )
            weakref.finalize(self, self._checkpoints.close)

    @property
    def in_memory(self) -> bool:
        """Whether every transaction takes its turn on the in-memory database's one
        connection: one held open waits for nobody but makes everyone else wait."""
        return self._memory

    def transaction(
        self, *, lock: str | None = None, readonly: bool = False
    ) -> AbstractContextManager[Transaction]:
        # ``lock`` needs nothing more: BEGIN IMMEDIATE already makes every writing
        # transaction a critical section of the whole database.
        return _Scope(self, lock, readonly)

    def deferred_commits(self) -> AbstractContextManager[PendingCommit]:
        return _Deferred(self)

    def make_durable(self, pending: PendingCommit) -> None:
        for batch in pending.batches:
            self._make_durable(batch)

    def committing(self) -> bool:
        return self._committing.locked()

    def _undo(self, connection: sqlite3.Connection, batch: int, *, savepoint: bool) -> None:
        """Roll back one transaction of a group, leaving the others' writes pending."""
        try:
            if connection.in_transaction and savepoint:
                connection.execute("ROLLBACK TO poolmail_tx")
                connection.execute("RELEASE poolmail_tx")
            if not connection.in_transaction or self._batch_kept == 0:
                # Nothing of anyone else's is pending (or SQLite rolled it all back):
                # end the SQLite transaction rather than hold the write lock open.
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if self._batch_kept:
                    self._lost[batch] = RuntimeError("SQLite rolled the transaction back")
        except sqlite3.Error as error:
            self._lost[batch] = error
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        finally:
            self._release_writers(connection)

    def _make_durable(self, batch: int) -> None:
        """Return once ``batch`` is committed: commit it, unless another writer did."""
        with self._committing:
            if self._durable < batch:
                with self._writer:
                    connection = self._write_connection
                    if connection.in_transaction and self._batch == batch:
                        try:
                            connection.execute("COMMIT")
                        except sqlite3.Error as error:
                            self._lost[batch] = error
                            if connection.in_transaction:
                                connection.execute("ROLLBACK")
                        else:
                            # Still holding the writers' locks: no writer may begin
                            # before the checkpoint a long log may need here.
                            if self._checkpoints is not None:
                                self._checkpoints.committed(connection)
                    self._release_writers(connection)
                    self._durable = batch
        lost = self._lost.get(batch)
        if lost is not None:
            raise RuntimeError("transaction lost: the commit of its group failed") from lost

    def quiet(self) -> bool:
        # A file's readers wait for nobody; its writers queue on _writer, and on the
        # writers' lock file while another process writes. The in-memory database's one
        # connection is taken by readers and writers alike.
        if self._memory:
            return not cast(threading.Lock, self._gate).locked()
        if self._writer.locked() or self._committing.locked():
            return False
        return self._writers is None or not self._shared or self._writers.free()

    def _begin(self, connection: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, once this process holds the writers' lock file."""
        if self._writers is not None:
            self._writers.acquire()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_writers(connection)
            raise

    def _release_writers(self, connection: sqlite3.Connection) -> None:
        # Only once the SQLite transaction is over (committed or rolled back): until then
        # SQLite's own write lock is still held, and another process would wait on it.
        if self._writers is not None and not connection.in_transaction:
            self._writers.release()

    @contextmanager
    def try_lock(self, name: str) -> Iterator[bool]:
        # A thread-safe lock per name for this process, then (file databases) a lock file
        # per name for every other process on the same file: `--workers` share it.
        with self._named_locks_guard:
            lock = self._named_locks.setdefault(name, threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            if not taken or self._locks_dir is None:
                yield taken
                return
            with file_locks.try_named(self._locks_dir, name) as mine:
                yield mine
        finally:
            if taken:
                lock.release()

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
            # Every table is empty, so nothing is left to check; switched off here, it
            # does not carry over to other transactions committed in the same group.
            tx.execute("PRAGMA defer_foreign_keys = OFF")
            # Restart AUTOINCREMENT counters, as TRUNCATE ... RESTART IDENTITY does.
            if tx.fetchone("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
                tx.execute("DELETE FROM sqlite_sequence")

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            opened, self._opened, self._idle = self._opened, [], []
        if self._checkpoints is not None:
            self._checkpoints.close()
        for connection in opened:
            connection.close()
        if self._writers is not None:
            self._writers.close()

    def _connect(self, *, reader: bool = False) -> sqlite3.Connection:
        # Worker threads come and go (anyio retires idle ones), so connections belong to
        # this object and are lent to one thread at a time rather than tied to a thread.
        # A file database's readers open it read-only: SQLite itself refuses their writes.
        connection = sqlite3.connect(
            f"file:{urllib.parse.quote(self._path)}?mode=ro" if reader else self._path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN / COMMIT / ROLLBACK ourselves
            check_same_thread=False,
            uri=reader,
        )
        connection.execute("PRAGMA foreign_keys = ON")
        if reader:
            # Readers are as many as requests read at once (sixteen under load), and each
            # kept up to SQLite's default 2 MB of pages after one scan (a mailbox listing):
            # 30 MB resident. Their point reads touch a few pages, and the rest of the file
            # is in the operating system's cache: as fast with 512 KiB.
            connection.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
        if not self._memory and not reader:
            _enable_wal(connection)
            # NORMAL (the default) syncs the WAL only at checkpoints: a killed process
            # loses nothing (its commits are in the operating system's hands), a machine
            # that loses power may lose the last ones; neither corrupts. FULL
            # (`--sqlite-sync full`) syncs at every commit, so an acknowledged write
            # survives a power cut too, at the price of an fsync per commit.
            connection.execute(f"PRAGMA synchronous = {self._sync.upper()}")
            # A transaction joining a commit group runs in a SAVEPOINT, for which SQLite
            # keeps a copy of every page it changes; past 64 KiB (a sign-up changes about
            # 150 KB) that copy went to a temporary file, created, written and deleted per
            # transaction: 100-150 us of kernel time per sign-up at 16 connections. The
            # copy lives as long as its transaction.
            connection.execute("PRAGMA temp_store = MEMORY")
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
        return self._connect(reader=True)

    def _release(self, connection: sqlite3.Connection) -> None:
        with self._pool_lock:
            # Still in a transaction means even ROLLBACK failed: lend that one to nobody.
            if not self._closed and not connection.in_transaction:
                self._idle.append(connection)
                return
            if connection in self._opened:
                self._opened.remove(connection)
        connection.close()


class _Scope:
    """The context manager ``SqliteDatabase.transaction`` returns.

    Every request opens one or more transactions, and a generator under ``contextmanager``
    (with the generators it delegated to) cost 4.4 us of Python around a read-only
    transaction's 1.4 us of BEGIN and COMMIT; this class does the same steps in the same
    order for a fraction of that. Nothing happens before ``__enter__``, as with the
    generator.
    """

    __slots__ = (
        "_alone",
        "_batch",
        "_connection",
        "_db",
        "_grouped",
        "_lock",
        "_pending",
        "_query_only",
        "_readonly",
        "_tx",
    )

    def __init__(self, db: SqliteDatabase, lock: str | None, readonly: bool) -> None:
        self._db = db
        self._lock = lock
        self._readonly = readonly

    def __enter__(self) -> Transaction:
        db, readonly = self._db, self._readonly
        if self._lock is not None and readonly:
            raise ValueError("a read-only transaction takes no lock")
        local = db._thread
        if getattr(local, "in_transaction", False):
            raise RuntimeError("this thread already has a transaction open; nest none")
        local.in_transaction = True
        try:
            pending: PendingCommit | None = getattr(local, "pending", None)
            # A read after this thread's own uncommitted writes reads them where they
            # are: a read-only connection would see the last commit without them.
            self._grouped = not db._memory and (not readonly or bool(pending and pending.batches))
            if self._grouped:
                self._pending = pending
                return self._enter_group()
            return self._enter_own()
        except BaseException:
            local.in_transaction = False
            raise

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        try:
            if self._grouped:
                self._exit_group(kind is not None)
            else:
                self._exit_own(kind is not None)
        finally:
            self._db._thread.in_transaction = False

    def _enter_group(self) -> Transaction:
        """A writing transaction in the current group (see the module's docstring)."""
        db = self._db
        connection = db._write_connection
        db._writer.acquire()
        try:
            if db._closed:
                raise RuntimeError("the database is closed")
            if not connection.in_transaction:
                db._begin(connection)
                db._batch += 1
                db._batch_kept = 0
            self._batch = db._batch
            # The first of a group needs no savepoint: its failure rolls the whole SQLite
            # transaction back. A savepoint makes SQLite keep a copy of every page the
            # transaction changes (a sign-up's 150 KB, past the 64 KB it holds in memory,
            # so in a temporary file: created, written and deleted per transaction).
            self._alone = db._batch_kept == 0
            if not self._alone:
                connection.execute("SAVEPOINT poolmail_tx")
        except BaseException:
            db._writer.release()
            raise
        tx = self._tx = SqliteTransaction(connection)
        return tx

    def _exit_group(self, failed: bool) -> None:
        db = self._db
        connection = db._write_connection
        batch, alone = self._batch, self._alone
        try:
            if failed:
                db._undo(connection, batch, savepoint=not alone)
                return
            try:
                _check(self._tx)
                if not alone:
                    connection.execute("RELEASE poolmail_tx")
                db._batch_kept += 1
            except BaseException:
                db._undo(connection, batch, savepoint=not alone)
                raise
        finally:
            db._writer.release()
        # With ``pending``, the commit is left to ``make_durable(pending)``.
        pending = self._pending
        if pending is not None:
            if batch not in pending.batches:
                pending.batches.append(batch)
            return
        db._make_durable(batch)

    def _enter_own(self) -> Transaction:
        """A transaction on a connection of its own: a file's read-only one, or the
        in-memory database's one connection."""
        db, readonly = self._db, self._readonly
        gate = db._gate
        gate.__enter__()
        try:
            connection = db._acquire()
        except BaseException:
            gate.__exit__(None, None, None)
            raise
        try:
            # The in-memory database's one connection also writes: refuse writes for now.
            self._query_only = readonly and db._memory
            if self._query_only:
                connection.execute("PRAGMA query_only = ON")
            try:
                # DEFERRED: the snapshot is taken at the first read, and no lock is asked
                # for.
                connection.execute("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")
            except BaseException:
                if self._query_only:
                    connection.execute("PRAGMA query_only = OFF")
                raise
        except BaseException:
            try:
                db._release(connection)
            finally:
                gate.__exit__(None, None, None)
            raise
        self._connection = connection
        tx = self._tx = SqliteTransaction(connection, readonly=readonly)
        return tx

    def _exit_own(self, failed: bool) -> None:
        db, connection = self._db, self._connection
        try:
            try:
                try:
                    if not failed:
                        _check(self._tx)
                        connection.execute("COMMIT")
                finally:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
            finally:
                if self._query_only:
                    connection.execute("PRAGMA query_only = OFF")
        finally:
            try:
                db._release(connection)
            finally:
                db._gate.__exit__(None, None, None)


class _Deferred:
    """The context manager ``SqliteDatabase.deferred_commits`` returns (a class, not a
    generator, for the same reason as ``_Scope``)."""

    __slots__ = ("_db", "_pending", "_set")

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def __enter__(self) -> PendingCommit:
        db = self._db
        pending = self._pending = PendingCommit()
        # The in-memory database's commits cost no fsync: nothing to gain by leaving
        # them for later.
        self._set = not db._memory
        if self._set:
            if getattr(db._thread, "pending", None) is not None:
                raise RuntimeError("this thread already defers its commits")
            db._thread.pending = pending
        return pending

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if self._set:
            self._db._thread.pending = None


def _enable_wal(connection: sqlite3.Connection) -> None:
    """Switch the file to WAL (a no-op once it is), waiting out other openers.

    Turning a new file to WAL needs it to itself, and SQLite answers "database is locked"
    at once rather than waiting out busy_timeout: servers opening a new data directory
    together failed about one time in fifteen (test_concurrent_first_starts_all_succeed).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _check(tx: SqliteTransaction) -> None:
    if tx.failure is not None:
        raise RuntimeError("transaction rolled back: one of its statements failed") from tx.failure


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
