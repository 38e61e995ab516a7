"""WAL checkpoints of one SQLite file, kept off the commits that answer requests.

SQLite copies the log's pages back into the database file (a checkpoint) inside the
COMMIT that takes the log past ``wal_autocheckpoint`` frames, so one write in thirty
(a sign-up) or in two hundred (a sign-in) waited 6-18 ms for the copy and two fsyncs, on
the event loop when it committed there. A thread of its own copies what was committed
instead, about 500 frames at a time (every 5-50 ms under load).

A thread alone would let the log grow without bound under a steady write load: SQLite
starts the log over only at the first write of a transaction that began when every frame
was already copied, and the writer's next BEGIN always comes before the thread's copy of
the last commit. So once the log is long, the thread first catches up (copies again at
once until few frames are new), then the writer finishes the copy itself right after its
next COMMIT, while no writer of any process can begin (store/sqlite.py holds the writers'
locks): only the last few frames are left, and its next transaction writes from the
start of the log.
"""

from __future__ import annotations

import sqlite3
import threading
import time

# The thread aims to copy about this many new frames each time, pausing between copies
# for as long as the commits take to write them (within the bounds below): each copy also
# syncs the log and the database, and copies again the pages written since the last (a
# sign-up's thirty frames are mostly the same hot pages). A copy every 20 ms, whatever
# the rate, looked 5-15% slower for sign-ins (5.5 frames each) in a first, noisy A/B.
COPY_FRAMES = 500
MIN_PAUSE_SECONDS = 0.005
MAX_PAUSE_SECONDS = 0.05
# The log's length (in frames) past which the writer finishes a copy itself, so that its
# next transaction starts the log over. That finish still syncs the log and the database
# on the committing request's path (two fsyncs, however few frames are left): once per
# 4,000 frames rather than SQLite's automatic checkpoint's 1,000.
RESTART_FRAMES = 4000
# Past RESTART_FRAMES the thread copies again at once until one copy finds at most this
# many new frames (or the log reaches twice RESTART_FRAMES): the writer's finish then has
# little left to copy.
CATCH_UP_FRAMES = 256
# SQLite's automatic checkpoint, kept behind the thread should it fall behind or fail.
BACKSTOP_FRAMES = 10000


class Checkpointer:
    """Copies a WAL database's committed pages on a thread (see the module's docstring).

    ``connection`` is the thread's own read-write connection to the file, with the
    writer's ``synchronous`` setting (a checkpoint syncs as that setting says); the
    checkpointer closes it.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        # One checkpoint of this process at a time: the thread's or the writer's.
        self._copying = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Set by the thread once the log is long and its copies have caught up with the
        # commits: the writer's next commit finishes the copy, and the thread waits.
        self._due = False
        # The log's length, in frames, at the thread's last checkpoint.
        self.log_frames = 0
        self._copied_at = time.monotonic()
        # How many times the writer finished the copy (for tests and measurements).
        self.finished = 0
        self._thread = threading.Thread(
            target=self._run, name="poolmail-sqlite-checkpoints", daemon=True
        )
        self._thread.start()

    def committed(self, writer: sqlite3.Connection) -> None:
        """Called after each COMMIT on ``writer``, before any writer may begin again."""
        if self._due and self._copying.acquire(blocking=False):
            try:
                _checkpoint(writer)
                self.finished += 1
            except sqlite3.Error:
                # The commit stands: copying it is the thread's or SQLite's to retry.
                pass
            finally:
                # The next transaction starts the log over (unless a reader or another
                # process keeps it from that: the thread's to see at its next copy).
                self._due = False
                self.log_frames, self._copied_at = 0, time.monotonic()
                # Not before the next commit: now, the thread would find the log as
                # long as before.
                self._wake.clear()
                self._copying.release()
            return
        self._wake.set()

    def close(self) -> None:
        """Stop the thread, wait for it and close its connection (idempotent)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                if self._due:
                    # The writer's turn: a copy begun here would hold the lock it needs.
                    continue
                # Zero while catching up with a long log: again at the next commit.
                self._stop.wait(self._copy())
        finally:
            self._connection.close()

    def _copy(self) -> float:
        """One checkpoint of the thread's; how long to pause before the next."""
        with self._copying:
            try:
                busy, log, copied = _checkpoint(self._connection)
            except sqlite3.Error:
                # The file gone or unreadable: the writer's commits report that; SQLite's
                # automatic checkpoint is still there behind this one.
                return MAX_PAUSE_SECONDS
            if busy or log < 0:
                # Another process's checkpoint was running.
                return MIN_PAUSE_SECONDS
            now = time.monotonic()
            restarted = log < self.log_frames
            fresh = log if restarted else log - self.log_frames
            elapsed, self._copied_at, self.log_frames = now - self._copied_at, now, log
            if log >= RESTART_FRAMES and copied == log:
                if fresh > CATCH_UP_FRAMES and log < 2 * RESTART_FRAMES:
                    return 0.0
                self._due = True
            # (A reader's snapshot may keep frames from being copied: the log cannot
            # start over before that reader ends.)
            if restarted or not fresh:
                # The log started over since the last copy: no measure of the rate.
                return MIN_PAUSE_SECONDS
            pause = elapsed * COPY_FRAMES / fresh
            return min(MAX_PAUSE_SECONDS, max(MIN_PAUSE_SECONDS, pause))


def start(
    path: str, writer: sqlite3.Connection, *, synchronous: str, timeout: float
) -> Checkpointer:
    """A checkpointer for the WAL database at ``path``, whose one writing connection is
    ``writer``; SQLite's automatic checkpoint then runs only past BACKSTOP_FRAMES."""
    writer.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_FRAMES}")
    # Read-write (a checkpoint writes the database file), syncing as the writer does.
    connection = sqlite3.connect(
        path, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        return Checkpointer(connection)
    except BaseException:
        connection.close()
        raise


def _checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    # fetchall: a PRAGMA's statement stays active (holding a read lock) until its rows are
    # exhausted, and a held read lock keeps the log from starting over.
    rows = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    busy, log, copied = rows[0]
    return int(busy), int(log), int(copied)
