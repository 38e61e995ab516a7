"""SQLite's transactions (``_Scope``, a class rather than a generator) leave the store as
they found it whichever way they end: the thread may open another, the writers' lock and
the in-memory database's gate are free, the in-memory connection writes again after a
read-only transaction, and whatever failed wrote nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poolmail.store import open_database
from poolmail.store.sqlite import MEMORY, SqliteDatabase


@pytest.fixture(params=["file", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = open_database(data_dir=MEMORY if request.param == "memory" else str(tmp_path))
    assert isinstance(database, SqliteDatabase)
    with database.transaction() as tx:
        tx.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    yield database
    database.close()


def rows(db: SqliteDatabase) -> list[int]:
    with db.transaction(readonly=True) as tx:
        return [x for (x,) in tx.fetchall("SELECT x FROM t ORDER BY x")]


def assert_free(db: SqliteDatabase) -> None:
    assert db.quiet()
    assert not getattr(db._thread, "in_transaction", False)
    with db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (100)")
    with db.transaction() as tx:
        tx.execute("DELETE FROM t WHERE x = 100")


class Boom(Exception):
    pass


@pytest.mark.parametrize("readonly", [False, True])
def test_an_exception_in_the_block_leaves_it_free(db: SqliteDatabase, readonly: bool) -> None:
    with pytest.raises(Boom), db.transaction(readonly=readonly) as tx:
        tx.fetchall("SELECT x FROM t")
        if not readonly:
            tx.execute("INSERT INTO t VALUES (1)")
        raise Boom
    assert rows(db) == []
    assert_free(db)


def test_a_failed_statement_rolls_back_and_leaves_it_free(db: SqliteDatabase) -> None:
    with pytest.raises(RuntimeError, match="rolled back"), db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(Exception, match="no such table"):
            tx.execute("INSERT INTO missing VALUES (1)")
    assert rows(db) == []
    assert_free(db)


def test_a_read_only_transaction_refuses_writes_and_leaves_it_free(db: SqliteDatabase) -> None:
    with (
        pytest.raises(RuntimeError, match="rolled back"),
        db.transaction(readonly=True) as tx,
        pytest.raises(Exception, match=r"readonly|read-only|query_only"),
    ):
        tx.execute("INSERT INTO t VALUES (1)")
    assert rows(db) == []
    assert_free(db)


def test_nesting_fails_at_the_inner_block_only(db: SqliteDatabase) -> None:
    inner = db.transaction(readonly=True)
    with db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError, match="nest none"):
            inner.__enter__()
    assert rows(db) == [1]
    assert_free(db)


def test_lock_and_readonly_fail_on_entering_not_on_asking(db: SqliteDatabase) -> None:
    scope = db.transaction(lock="quota", readonly=True)
    with pytest.raises(ValueError, match="no lock"), scope:
        pass
    assert_free(db)


def test_deferred_writes_are_read_back_and_made_durable(db: SqliteDatabase) -> None:
    with db.deferred_commits() as pending:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t VALUES (1)")
        # A read after this thread's own pending writes sees them.
        with db.transaction(readonly=True) as tx:
            assert tx.fetchall("SELECT x FROM t") == [(1,)]
    db.make_durable(pending)
    assert rows(db) == [1]
    assert_free(db)


def test_deferring_twice_fails_on_a_file(tmp_path: Path) -> None:
    db = open_database(data_dir=str(tmp_path))
    try:
        with (
            db.deferred_commits(),
            pytest.raises(RuntimeError, match="already defers"),
            db.deferred_commits(),
        ):
            pass
        # The outer block ended: deferring works again.
        with db.deferred_commits() as pending:
            assert pending.batches == []
    finally:
        db.close()
