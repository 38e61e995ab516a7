"""WAL checkpoints on a thread (store/checkpoints.py): the log stays short under a steady
write load and starts over, a long read only delays that, and close leaves no thread."""

from __future__ import annotations

import gc
import os
import sqlite3
import struct
import threading
import time
from pathlib import Path

import pytest

from poolmail.store import checkpoints
from poolmail.store.sqlite import MEMORY, SqliteDatabase

THREAD_NAME = "poolmail-sqlite-checkpoints"
# SQLite's WAL file: a 32-byte header, then per frame a 24-byte header and one page.
WAL_HEADER = 32
FRAME_HEADER = 24


def open_table(path: Path) -> SqliteDatabase:
    db = SqliteDatabase(str(path))
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)")
        for column in "abc":
            tx.execute(f"CREATE INDEX t_{column} ON t ({column})")
    return db


def write(db: SqliteDatabase, transactions: int) -> None:
    # Random keys scatter each transaction's rows over the indexes' pages: about ten
    # pages (WAL frames) per commit, as many as a SES send. The pause lets go of the GIL
    # as a server's event loop does between requests, waiting for the network.
    for _ in range(transactions):
        time.sleep(0.0001)
        with db.transaction() as tx:
            for _ in range(4):
                tx.execute(
                    "INSERT INTO t (a, b, c) VALUES (?, ?, ?)",
                    (os.urandom(20).hex(), os.urandom(20).hex(), os.urandom(200).hex()),
                )


def wal_state(path: Path) -> tuple[int, int]:
    """The WAL file's length in frames and its checkpoint sequence number, which SQLite
    increments each time the log starts over."""
    header = Path(str(path) + "-wal").read_bytes()[:WAL_HEADER]
    page_size, sequence = struct.unpack(">II", header[8:16])
    size = os.path.getsize(str(path) + "-wal")
    return (size - WAL_HEADER) // (FRAME_HEADER + page_size), sequence


def log_frames(path: Path) -> int:
    """The current log's length, as a checkpoint of another connection sees it."""
    connection = sqlite3.connect(str(path), isolation_level=None)
    try:
        rows = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()
    return int(rows[0][1])


def checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD_NAME]


def test_the_log_stays_short_and_starts_over_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's old threshold, so that a few seconds of writes start the log over often.
    monkeypatch.setattr(checkpoints, "RESTART_FRAMES", 1000)
    path = tmp_path / "db.sqlite3"
    db = open_table(path)
    try:
        _, sequence_before = wal_state(path)
        write(db, 3000)  # about 30,000 frames in all
        assert db._checkpoints is not None
        finished = db._checkpoints.finished
        frames, sequence = wal_state(path)  # the last connection's close deletes it
    finally:
        db.close()
    # The thread alone let it grow to 8,000-33,000 frames; SQLite's own checkpoint (now
    # the backstop) stops it at 10,000. The writer acts on the log's length as the thread
    # last saw it, one copy and a pause ago: 2,000-4,000 frames more at this write rate
    # on a busy machine.
    assert frames < 5000
    assert sequence - sequence_before >= 10
    assert finished >= 10


def test_a_long_read_only_delays_the_log_starting_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "RESTART_FRAMES", 1000)
    path = tmp_path / "db.sqlite3"
    db = open_table(path)
    try:
        write(db, 50)
        reader = sqlite3.connect(str(path), isolation_level=None)
        try:
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM t").fetchall() == [(200,)]
            _, sequence_held = wal_state(path)
            # Its snapshot keeps every frame written since: the log grows, never restarts.
            write(db, 400)
            held = log_frames(path)
            assert wal_state(path)[1] == sequence_held
            assert reader.execute("SELECT count(*) FROM t").fetchall() == [(200,)]
            reader.execute("COMMIT")
        finally:
            reader.close()
        for _ in range(100):
            write(db, 10)
            if wal_state(path)[1] != sequence_held:
                break
        restarted = wal_state(path)[1] != sequence_held
        with db.transaction(readonly=True) as tx:
            count = tx.fetchone("SELECT count(*) FROM t")
    finally:
        db.close()
    assert held >= 3000
    assert restarted
    assert count is not None and count[0] > 1800


def test_commits_survive_reopening_and_close_leaves_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    before = len(checkpoint_threads())
    for round_ in range(5):
        db = open_table(path) if round_ == 0 else SqliteDatabase(str(path))
        assert db._checkpoints is not None and db._checkpoints.running
        write(db, 200)
        db.close()
        assert not db._checkpoints.running
    assert len(checkpoint_threads()) == before
    db = SqliteDatabase(str(path))
    try:
        with db.transaction(readonly=True) as tx:
            assert tx.fetchone("SELECT count(*) FROM t") == (4000,)
    finally:
        db.close()


def test_an_unclosed_database_stops_its_thread_when_collected(tmp_path: Path) -> None:
    db = open_table(tmp_path / "db.sqlite3")
    checkpointer = db._checkpoints
    assert checkpointer is not None and checkpointer.running
    del db
    gc.collect()
    assert not checkpointer.running


def test_the_in_memory_database_has_no_checkpoints() -> None:
    before = len(checkpoint_threads())
    db = SqliteDatabase(MEMORY)
    try:
        assert db._checkpoints is None
        assert len(checkpoint_threads()) == before
    finally:
        db.close()
