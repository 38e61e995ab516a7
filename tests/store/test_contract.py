"""The storage contract, one suite run against every backend (see conftest.py)."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from poolmail.store import Database, SchemaTooNewError, open_database
from poolmail.store.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate
from poolmail.store.postgres import PostgresDatabase, translate

from .conftest import Backend

POOL = ("us-east-1_AbC123xyz", "000000000000", "us-east-1", "alpha", 1.5, "{}")
INSERT_POOL = (
    "INSERT INTO user_pools (id, account, region, name, created_at, modified_at, data) "
    "VALUES (?, ?, ?, ?, ?, 0, ?)"
)


def pool_ids(db: Database) -> list[str]:
    with db.transaction() as tx:
        return [pool_id for (pool_id,) in tx.fetchall("SELECT id FROM user_pools ORDER BY id")]


def versions(db: Database) -> list[int]:
    with db.transaction() as tx:
        rows = tx.fetchall("SELECT version FROM schema_version ORDER BY version")
    return [version for (version,) in rows]


def table_names(db: Database) -> set[str]:
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
    }[db.dialect]
    with db.transaction() as tx:
        return {name for (name,) in tx.fetchall(query)}


# Migrations


def test_migrations_create_the_schema_and_record_the_version(db: Database) -> None:
    assert {"schema_version", "user_pools", "ses_identities"} <= table_names(db)
    assert versions(db) == [m.version for m in MIGRATIONS]
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
        tx.execute(
            "INSERT INTO ses_identities (account, region, identity, kind, created_at, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ("000000000000", "us-east-1", "Me@Example.com", "EmailAddress", 2.0, "{}"),
        )
    with db.transaction() as tx:
        assert (
            tx.fetchone("SELECT id, account, region, name, created_at, data FROM user_pools")
            == POOL
        )
        assert tx.fetchone("SELECT identity, kind FROM ses_identities") == (
            "Me@Example.com",
            "EmailAddress",
        )


def test_migrations_are_numbered_one_two_three() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == LATEST_VERSION
    db = open_database(data_dir=":memory:")
    try:
        with pytest.raises(ValueError, match="expected 2"):
            migrate(db, [MIGRATIONS[0], Migration(3, "skips two", [])])
    finally:
        db.close()


def test_an_older_schema_is_upgraded(backend: Backend) -> None:
    db = backend.open_unmigrated()
    assert migrate(db, MIGRATIONS[:1]) == [1]
    later = Migration(
        LATEST_VERSION + 1, "a later issue's table", ["CREATE TABLE later (id INTEGER)"]
    )
    assert migrate(db, [*MIGRATIONS, later]) == [*range(2, LATEST_VERSION + 1), later.version]
    assert "later" in table_names(db)
    assert versions(db) == list(range(1, later.version + 1))


def test_a_failed_migration_leaves_the_previous_version(db: Database) -> None:
    broken = Migration(
        LATEST_VERSION + 1, "broken", ["CREATE TABLE half_done (id INTEGER)", "NOT SQL AT ALL"]
    )
    with pytest.raises(Exception, match=r"(?i)syntax"):
        migrate(db, [*MIGRATIONS, broken])
    assert "half_done" not in table_names(db)
    assert versions(db) == [m.version for m in MIGRATIONS]


def test_a_newer_schema_is_refused(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "from the future", 0.0),
        )
    with pytest.raises(SchemaTooNewError, match=f"version {LATEST_VERSION + 1}"):
        migrate(db)


def test_reopening_keeps_rows_and_migrates_nothing_twice(persistent_backend: Backend) -> None:
    db = persistent_backend.open()
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    db.close()

    again = persistent_backend.open()
    assert pool_ids(again) == [POOL[0]]
    assert versions(again) == [m.version for m in MIGRATIONS]
    assert migrate(again) == []


def test_reopening_a_newer_schema_is_refused(persistent_backend: Backend) -> None:
    db = persistent_backend.open()
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "from the future", 0.0),
        )
    db.close()
    with pytest.raises(SchemaTooNewError, match="newer poolmail"):
        persistent_backend.open()


def test_concurrent_first_starts_all_succeed(persistent_backend: Backend) -> None:
    starting = threading.Barrier(4)

    def start() -> Database:
        starting.wait()
        return persistent_backend.open()

    with ThreadPoolExecutor(4) as executor:
        dbs = [future.result() for future in [executor.submit(start) for _ in range(4)]]
    assert versions(dbs[0]) == [m.version for m in MIGRATIONS]


# Transactions


def test_a_transaction_commits_on_normal_exit(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    assert pool_ids(db) == [POOL[0]]


def test_a_transaction_rolls_back_on_an_exception(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
        assert tx.fetchone("SELECT COUNT(*) FROM user_pools") == (1,)
        _ = 1 / 0
    assert pool_ids(db) == []


def test_a_caught_statement_failure_still_rolls_back_loudly(db: Database) -> None:
    with pytest.raises(RuntimeError, match="rolled back"), db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            tx.execute(INSERT_POOL, POOL)
    assert pool_ids(db) == []


def test_transactions_do_not_nest(db: Database) -> None:
    with db.transaction(), pytest.raises(RuntimeError, match="already"), db.transaction():
        pass
    with db.transaction() as tx:  # the refusal left nothing behind
        assert tx.fetchone("SELECT 1") == (1,)


# Read-only transactions


def test_a_readonly_transaction_reads_what_was_committed(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    with db.transaction(readonly=True) as tx:
        assert tx.fetchall("SELECT id FROM user_pools") == [(POOL[0],)]
        assert tx.fetchone("SELECT name FROM user_pools WHERE id = ?", (POOL[0],)) == ("alpha",)


def test_a_readonly_transaction_refuses_to_write_and_leaves_no_trace(db: Database) -> None:
    with (
        pytest.raises(RuntimeError, match="rolled back"),
        db.transaction(readonly=True) as tx,
        pytest.raises(Exception, match=r"(?i)read.?only"),
    ):
        tx.execute(INSERT_POOL, POOL)
    assert pool_ids(db) == []
    # The connection goes back to writing transactions as it was.
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    assert pool_ids(db) == [POOL[0]]


def test_a_readonly_transaction_takes_no_lock_and_does_not_nest(db: Database) -> None:
    with pytest.raises(ValueError, match="no lock"), db.transaction(lock="x", readonly=True):
        pass
    with (
        db.transaction(readonly=True),
        pytest.raises(RuntimeError, match="already"),
        db.transaction(readonly=True),
    ):
        pass


def test_readers_see_a_snapshot_while_a_writer_holds_its_lock(persistent_backend: Backend) -> None:
    db = persistent_backend.open()
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    writing = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with db.transaction(lock="pools") as tx:
            tx.execute("UPDATE user_pools SET name = ?", ("beta",))
            writing.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with db.transaction(readonly=True) as tx:
            # The writer's change is not committed: the reader sees the row as it was,
            # at once, instead of waiting for the writer.
            assert tx.fetchone("SELECT name FROM user_pools") == ("alpha",)
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
        thread.join()
    with db.transaction(readonly=True) as tx:
        assert tx.fetchone("SELECT name FROM user_pools") == ("beta",)


def test_quiet_says_whether_a_transaction_would_wait(db: Database) -> None:
    if not db.local:
        assert not db.quiet()
        return
    assert db.quiet()
    entered, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.transaction() as tx:
            tx.execute(INSERT_POOL, POOL)
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert entered.wait(10)
        assert not db.quiet()
    finally:
        release.set()
        thread.join()
    assert db.quiet()


def test_execute_returns_the_rowcount(db: Database) -> None:
    with db.transaction() as tx:
        for index, region in enumerate(["us-east-1", "us-east-1", "eu-west-1"]):
            assert tx.execute(INSERT_POOL, (f"p{index}", "1", region, "n", 0.0, "{}")) == 1
        assert (
            tx.execute("UPDATE user_pools SET name = ? WHERE region = ?", ("m", "us-east-1")) == 2
        )
        assert tx.execute("DELETE FROM user_pools WHERE region = ?", ("nowhere",)) == 0
        assert tx.execute("DELETE FROM user_pools") == 3


def test_fetching_nothing(db: Database) -> None:
    with db.transaction() as tx:
        assert tx.fetchone("SELECT id FROM user_pools WHERE id = ?", ("missing",)) is None
        assert tx.fetchall("SELECT id FROM user_pools") == []


def test_literal_percent_and_question_marks_beside_placeholders(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, ("a1", "1", "r", "alpha", 0.0, "100%?"))
        tx.execute(INSERT_POOL, ("b1", "1", "r", "beta", 0.0, "{}"))
        assert tx.fetchall("SELECT id FROM user_pools WHERE name LIKE 'a%'") == [("a1",)]
        assert tx.fetchall(
            "SELECT id FROM user_pools WHERE name LIKE 'a%' AND data = '100%?' AND region = ?",
            ("r",),
        ) == [("a1",)]


def test_placeholder_translation_for_postgres() -> None:
    assert (
        translate("""SELECT '?', "a?%" FROM t WHERE x LIKE 'a%' AND y = ? AND z = ?""")
        == """SELECT '?', "a?%%" FROM t WHERE x LIKE 'a%%' AND y = %s AND z = %s"""
    )


# Reset


def test_reset_empties_tables_but_keeps_schema_and_version(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
        # A foreign key between two tables must not stop reset, whatever order it picks.
        tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        tx.execute("CREATE TABLE child (id INTEGER PRIMARY KEY REFERENCES parent (id))")
        tx.execute("INSERT INTO parent (id) VALUES (1)")
        tx.execute("INSERT INTO child (id) VALUES (1)")
    db.reset()
    with db.transaction() as tx:
        for table in ["user_pools", "ses_identities", "parent", "child"]:
            assert tx.fetchone(f"SELECT COUNT(*) FROM {table}") == (0,)
    assert versions(db) == [m.version for m in MIGRATIONS]
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, POOL)
    assert pool_ids(db) == [POOL[0]]


# Concurrency


def make_counter(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        tx.execute("INSERT INTO counters (name, value) VALUES (?, ?)", ("c", 0))


def increment(db: Database, times: int) -> None:
    for _ in range(times):
        with db.transaction(lock="counter") as tx:
            row = tx.fetchone("SELECT value FROM counters WHERE name = ?", ("c",))
            assert row is not None
            time.sleep(0.0002)  # widen the window a lost update would need
            tx.execute("UPDATE counters SET value = ? WHERE name = ?", (row[0] + 1, "c"))


def counter(db: Database) -> int:
    with db.transaction() as tx:
        row = tx.fetchone("SELECT value FROM counters WHERE name = ?", ("c",))
    assert row is not None
    return int(row[0])


def test_read_then_write_under_a_lock_is_exact(db: Database) -> None:
    make_counter(db)
    with ThreadPoolExecutor(8) as executor:
        for future in [executor.submit(increment, db, 25) for _ in range(8)]:
            future.result()
    assert counter(db) == 200


def test_concurrent_transactions_each_commit_or_roll_back_alone(
    persistent_backend: Backend,
) -> None:
    # Many writers at once (SQLite commits them in groups): each one's writes are kept or
    # dropped by its own outcome alone, and everything acknowledged is there after reopening.
    db = persistent_backend.open()

    def write(worker: int) -> set[str]:
        kept: set[str] = set()
        for n in range(25):
            pool_id = f"w{worker}-{n}"
            try:
                with db.transaction() as tx:
                    tx.execute(INSERT_POOL, (pool_id, "1", "r", "n", 0.0, "{}"))
                    if n % 5 == 1:
                        raise ZeroDivisionError
                    if n % 5 == 2:
                        with contextlib.suppress(Exception):
                            tx.execute(INSERT_POOL, (pool_id, "1", "r", "n", 0.0, "{}"))
            except (ZeroDivisionError, RuntimeError):
                continue
            kept.add(pool_id)
        return kept

    with ThreadPoolExecutor(8) as executor:
        expected = set().union(*executor.map(write, range(8)))
    assert len(expected) == 8 * 15
    assert set(pool_ids(db)) == expected
    assert set(pool_ids(persistent_backend.open())) == expected


def test_replicas_sharing_a_database_keep_an_exact_counter(persistent_backend: Backend) -> None:
    first, second = persistent_backend.open(), persistent_backend.open()
    make_counter(first)
    with ThreadPoolExecutor(8) as executor:
        futures = [executor.submit(increment, db, 25) for db in [first, second] * 4]
        for future in futures:
            future.result()
    assert counter(second) == 200


# Opening


def test_sqlite_file_is_durable_and_where_expected(tmp_path: Path) -> None:
    db = open_database(data_dir=str(tmp_path / "nested" / "data"))
    try:
        with db.transaction() as tx:
            assert tx.fetchone("PRAGMA journal_mode") == ("wal",)
            # NORMAL, the default (docs/operations.md states what it keeps).
            assert tx.fetchone("PRAGMA synchronous") == (1,)
            assert tx.fetchone("PRAGMA foreign_keys") == (1,)
    finally:
        db.close()
    assert (tmp_path / "nested" / "data" / "poolmail.sqlite3").is_file()


def test_in_memory_databases_are_separate() -> None:
    first, second = open_database(data_dir=":memory:"), open_database(data_dir=":memory:")
    try:
        with first.transaction() as tx:
            tx.execute(INSERT_POOL, POOL)
        assert pool_ids(second) == []
    finally:
        first.close()
        second.close()


def test_open_database_wants_a_known_place() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        open_database(database_url="mysql://localhost/poolmail")
    with pytest.raises(ValueError, match="data_dir"):
        open_database()


def test_an_unreachable_postgres_fails_at_once_with_the_reason() -> None:
    with pytest.raises(psycopg.OperationalError, match=r"(?i)refused|connect"):
        PostgresDatabase("postgresql://postgres@127.0.0.1:1/test")


def test_try_lock_lets_one_holder_in_at_a_time(persistent_backend: Backend) -> None:
    backend = persistent_backend
    first, second = backend.open(), backend.open()
    with first.try_lock("job") as taken:
        assert taken
        if backend.database_url is not None:
            # Another replica on the same PostgreSQL database is kept out.
            with second.try_lock("job") as other:
                assert not other
        with first.try_lock("job") as again:
            assert not again
        with first.try_lock("another job") as unrelated:
            assert unrelated
    with second.try_lock("job") as after:
        assert after


def increment_taking_the_lock_inside(db: Database, times: int) -> None:
    for _ in range(times):
        with db.transaction() as tx:
            tx.lock("counter")
            row = tx.fetchone("SELECT value FROM counters WHERE name = ?", ("c",))
            assert row is not None
            time.sleep(0.0002)
            tx.execute("UPDATE counters SET value = ? WHERE name = ?", (row[0] + 1, "c"))


def test_a_lock_taken_inside_a_transaction_is_exact_too(db: Database) -> None:
    make_counter(db)
    with ThreadPoolExecutor(8) as executor:
        futures = [executor.submit(increment_taking_the_lock_inside, db, 25) for _ in range(4)]
        futures += [executor.submit(increment, db, 25) for _ in range(4)]
        for future in futures:
            future.result()
    assert counter(db) == 200


# Deferred commits (the event loop's writes, see server/inline.py)


def committed_pool_ids(db: Database) -> list[str]:
    with db.transaction(readonly=True) as tx:
        return [pool_id for (pool_id,) in tx.fetchall("SELECT id FROM user_pools ORDER BY id")]


def seen_from_another_thread(db: Database) -> list[str]:
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(committed_pool_ids, db).result()


def test_deferred_writes_are_seen_by_their_own_reads_and_by_others_once_durable(
    db: Database,
) -> None:
    with db.deferred_commits() as pending:
        with db.transaction() as tx:
            tx.execute(INSERT_POOL, POOL)
        with db.transaction(readonly=True) as tx:
            assert tx.fetchone("SELECT name FROM user_pools") == ("alpha",)
        with db.transaction() as tx:
            tx.execute("UPDATE user_pools SET name = 'beta'")
    if pending.batches:
        # Not committed yet: nobody else sees it (SQLite on disk defers its commits).
        assert seen_from_another_thread(db) == []
    db.make_durable(pending)
    assert seen_from_another_thread(db) == [POOL[0]]
    with db.transaction(readonly=True) as tx:
        assert tx.fetchone("SELECT name FROM user_pools") == ("beta",)


def test_a_failed_transaction_leaves_the_deferred_ones_before_it(db: Database) -> None:
    with db.deferred_commits() as pending:
        with db.transaction() as tx:
            tx.execute(INSERT_POOL, POOL)
        with pytest.raises(ZeroDivisionError), db.transaction() as tx:
            tx.execute(INSERT_POOL, ("other", "1", "r", "n", 0.0, "{}"))
            raise ZeroDivisionError
    db.make_durable(pending)
    assert seen_from_another_thread(db) == [POOL[0]]


def test_a_failed_first_transaction_of_a_group_leaves_the_ones_after_it(db: Database) -> None:
    # The first of a group runs without a savepoint (store/sqlite.py): its failure ends
    # the SQLite transaction, and the next one starts a group of its own.
    with db.deferred_commits() as pending:
        with pytest.raises(ZeroDivisionError), db.transaction() as tx:
            tx.execute(INSERT_POOL, ("other", "1", "r", "n", 0.0, "{}"))
            raise ZeroDivisionError
        with db.transaction() as tx:
            tx.execute(INSERT_POOL, POOL)
        with pytest.raises(ZeroDivisionError), db.transaction() as tx:
            tx.execute(INSERT_POOL, ("third", "1", "r", "n", 0.0, "{}"))
            raise ZeroDivisionError
    db.make_durable(pending)
    assert seen_from_another_thread(db) == [POOL[0]]


def test_threads_writing_meanwhile_share_the_deferred_group(persistent_backend: Backend) -> None:
    # A worker thread's transaction may join (and commit) the group the deferred writes
    # are in; make_durable then has nothing left to do, and everything is kept.
    db = persistent_backend.open()
    with db.deferred_commits() as pending, db.transaction() as tx:
        tx.execute(INSERT_POOL, ("deferred", "1", "r", "n", 0.0, "{}"))
    with ThreadPoolExecutor(4) as executor:
        for future in [executor.submit(write_pool, db, f"thread-{n}") for n in range(8)]:
            future.result()
    db.make_durable(pending)
    db.close()
    assert len(pool_ids(persistent_backend.open())) == 9


def write_pool(db: Database, pool_id: str) -> None:
    with db.transaction() as tx:
        tx.execute(INSERT_POOL, (pool_id, "1", "r", "n", 0.0, "{}"))


def test_deferred_commits_do_not_nest(persistent_backend: Backend) -> None:
    db = persistent_backend.open()
    with db.deferred_commits() as pending:
        write_pool(db, "one")
        if not pending.batches:
            return  # a store that commits at once has nothing to nest
        with pytest.raises(RuntimeError, match="defers"), db.deferred_commits():
            pass
    db.make_durable(pending)


@pytest.mark.parametrize(("sync", "level"), [("full", 2), ("normal", 1)])
def test_the_sqlite_sync_option_sets_synchronous(tmp_path: Path, sync: str, level: int) -> None:
    db = open_database(data_dir=str(tmp_path), sqlite_sync=sync)  # type: ignore[arg-type]
    try:
        with db.transaction() as tx:
            assert tx.fetchone("PRAGMA synchronous") == (level,)
    finally:
        db.close()
