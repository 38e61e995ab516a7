"""Locks that SQLite's users on one file share across processes: lock files (``flock``)
in a directory beside the database.

The writers' lock lets one process at a time hold SQLite's write lock, so that a writer
of another process sleeps in the kernel until it is free, rather than in SQLite's busy
handler, which polls with sleeps of up to 100 ms. ``flock`` alone is not fair: a process
that releases it and takes it again at once (the next group of its event loop) wins over
a process already waiting, for as long as it keeps writing. So a writer first queues on
a second file, the turnstile, and holds it until it has the writers' lock: the holder
cannot take the lock again while someone waits, and the processes take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator


class WritersLock:
    """The writers' lock of one SQLite file, for one process's use (one holder at a time
    within it: its callers serialise their own threads)."""

    def __init__(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        self._turnstile = _open(os.path.join(directory, "turnstile"))
        self._writers = _open(os.path.join(directory, "writers"))
        self.held = False
        self._closed = False
        # flock locks belong to the open file, not to a thread: this keeps ``free`` from
        # taking and dropping the lock while a thread of this process takes it.
        self._guard = threading.Lock()

    def acquire(self) -> None:
        with self._guard:
            fcntl.flock(self._turnstile, fcntl.LOCK_EX)
            try:
                fcntl.flock(self._writers, fcntl.LOCK_EX)
            finally:
                fcntl.flock(self._turnstile, fcntl.LOCK_UN)
            self.held = True

    def release(self) -> None:
        with self._guard:
            if self.held:
                self.held = False
                fcntl.flock(self._writers, fcntl.LOCK_UN)

    def free(self) -> bool:
        """Whether this process holds the lock or could take it now with nobody waiting
        (a hint: it may change the next moment)."""
        if not self._guard.acquire(blocking=False):
            return False  # a thread of this process is taking or dropping it
        try:
            if self.held:
                return True
            if not _try(self._turnstile):
                return False  # another process waits for the lock
            try:
                if not _try(self._writers):
                    return False
                fcntl.flock(self._writers, fcntl.LOCK_UN)
                return True
            finally:
                fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        finally:
            self._guard.release()

    def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self.held = False
            os.close(self._turnstile)  # closing the file drops its lock
            os.close(self._writers)


@contextlib.contextmanager
def try_named(directory: str, name: str) -> Iterator[bool]:
    """Hold the lock file named after ``name`` for the block if no other holder has it."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).hexdigest()
    fd = _open(os.path.join(directory, f"named-{digest}"))
    try:
        yield _try(fd)
    finally:
        os.close(fd)  # drops the lock with the file


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open(path: str) -> int:
    # Not passed on to programs this process runs (function runtimes): a process sharing
    # the open file would share its lock. (`--workers` forks before any is open.)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
