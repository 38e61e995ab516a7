"""`poolmail serve --workers N`: N server processes answering on one listening socket.

The parent migrates the schema once, binds the socket and forks the workers; each opens
the store for itself (SQLite's writers take turns through a lock file, store/sqlite.py;
PostgreSQL as replicas do) and serves the same app on the inherited socket, where the
kernel hands each new connection to one of them. The parent prints the ready line once
every worker is up, starts another worker when one dies, and stops them all on SIGINT or
SIGTERM. The test clock's offset lives in memory the processes share, so moving it
(`/_poolmail/clock`) moves every worker's clock.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import fcntl
import logging
import mmap
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

from poolmail.clock import SystemClock
from poolmail.config import Settings
from poolmail.store import open_database

log = logging.getLogger("poolmail.workers")

# Seconds the workers get to finish after SIGTERM, then SIGKILL; and to start.
STOP_SECONDS = 10.0
START_SECONDS = 60.0
# A worker that dies sooner than this after its start waits this long to be replaced, so
# a worker that cannot run (its store gone, say) does not spin the machine.
RESTART_PAUSE_SECONDS = 1.0
BACKLOG = 2048  # uvicorn's default
POLL_SECONDS = 0.1

_OFFSET = struct.Struct("q")  # the clock's offset in microseconds
_PR_SET_PDEATHSIG = 1

# What a worker runs: serve on the socket with the clock, calling ``ready`` once up.
Worker = Callable[[socket.socket, SystemClock, Callable[[], None]], None]


def serve(settings: Settings, worker: Worker) -> int:
    """Run ``settings.workers`` workers until stopped; the exit code."""
    # Migrated once, here, before any worker opens the store; closed again before the
    # fork, so that no worker inherits its connections, threads or lock files.
    open_database(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        sqlite_sync=settings.sqlite_sync,
    ).close()
    try:
        sock = bind(settings.host, settings.port)
    except OSError as problem:
        print(
            f"poolmail: cannot listen on {settings.host}:{settings.port}: {problem}",
            file=sys.stderr,
        )
        return 1
    try:
        return Supervisor(settings.workers, sock, worker).run()
    finally:
        sock.close()


class SharedClock(SystemClock):
    """The system clock with an offset every forked worker reads and moves alike.

    The offset is 8 bytes of an anonymous shared mapping made before the workers are
    forked; ``advance`` and ``reset`` (test helpers, rare) change it under a POSIX record
    lock on an unlinked file, which (unlike ``flock``) excludes forked processes that
    share the open file.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shared = mmap.mmap(-1, _OFFSET.size)  # MAP_SHARED: forked children share it
        self._writing = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the clock

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(microseconds=self._offset_us())

    def advance(self, delta: dt.timedelta) -> None:
        step = delta // dt.timedelta(microseconds=1)
        with self._changing():
            _OFFSET.pack_into(self._shared, 0, self._offset_us() + step)

    def reset(self) -> None:
        with self._changing():
            _OFFSET.pack_into(self._shared, 0, 0)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        # This process's threads take turns on _lock; processes on the record lock.
        with self._lock:
            fcntl.lockf(self._writing, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._writing, fcntl.LOCK_UN)

    def _offset_us(self) -> int:
        # A write may land between the bytes of a read: one read agreeing with the next
        # was not torn by it (writes are rare: a test moving the clock).
        while True:
            first: int = _OFFSET.unpack_from(self._shared)[0]
            if _OFFSET.unpack_from(self._shared)[0] == first:
                return first


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@dataclass
class Supervisor:
    """Forks ``count`` workers and keeps that many running until told to stop."""

    count: int
    sock: socket.socket
    worker: Worker
    clock: SharedClock = field(default_factory=SharedClock)
    children: dict[int, float] = field(default_factory=dict)  # pid -> start time
    stopping: bool = False

    def run(self) -> int:
        """Start the workers, wait for them all to be ready, then supervise; the exit code."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not self._start_all():
                self._stop(signal.SIGTERM, None)
                self._reap_all()
                return 1
            print(f"poolmail ready on {url_of(self.sock)}", flush=True)
            self._supervise()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start_all(self) -> bool:
        """Fork every worker; True once each has said it is ready."""
        reader, writer = os.pipe()
        try:
            for _ in range(self.count):
                self._fork(writer)
            os.close(writer)
            writer = -1
            ready = 0
            deadline = time.monotonic() + START_SECONDS
            while ready < self.count and not self.stopping:
                readable, _, _ = select.select([reader], [], [], 0.1)
                if readable:
                    got = os.read(reader, 64)
                    if not got:  # every worker has closed its end: some died
                        return False
                    ready += len(got)
                if self._reap(block=False) or time.monotonic() > deadline:
                    log.error("poolmail: a worker failed to start")
                    return False
            return not self.stopping
        finally:
            os.close(reader)
            if writer >= 0:
                os.close(writer)

    def _supervise(self) -> None:
        while self.children and not self.stopping:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                # Polled, not waited for: a signal handler cannot end a blocking wait,
                # and the parent must still kill workers that do not stop in time.
                time.sleep(POLL_SECONDS)
                continue
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            log.warning("poolmail: worker %d %s; starting another", pid, _describe(status))
            if time.monotonic() - started < RESTART_PAUSE_SECONDS:
                time.sleep(RESTART_PAUSE_SECONDS)
            if not self.stopping:
                self._fork(None)
        self._reap_all()

    def _fork(self, ready_fd: int | None) -> None:
        pid = os.fork()
        if pid == 0:
            _run_child(self.worker, self.sock, self.clock, ready_fd)  # never returns
        self.children[pid] = time.monotonic()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _reap(self, *, block: bool) -> bool:
        """Collect exited workers; whether any had exited."""
        reaped = False
        while self.children:
            try:
                pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return True
            if pid == 0:
                break
            self.children.pop(pid, None)
            reaped = True
        return reaped

    def _reap_all(self) -> None:
        deadline = time.monotonic() + STOP_SECONDS
        while self.children and time.monotonic() < deadline:
            if not self._reap(block=False):
                time.sleep(0.05)
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        while self.children:
            self._reap(block=True)


def _run_child(
    worker: Worker, sock: socket.socket, clock: SharedClock, ready_fd: int | None
) -> None:
    code = 1
    try:
        # The parent's handlers stop the workers; a worker's own are uvicorn's.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        # Its own process group: Ctrl-C in a terminal reaches the parent, which stops the
        # workers with one SIGTERM each (a second signal would cut uvicorn's shutdown
        # short). And it dies with the parent, should the parent be killed outright.
        os.setpgid(0, 0)
        _die_with_parent()

        def ready() -> None:
            if ready_fd is not None:
                with contextlib.suppress(OSError):
                    os.write(ready_fd, b".")

        worker(sock, clock, ready)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # Not sys.exit: nothing of the parent's (atexit handlers, open files) runs twice.
        os._exit(code)


def _die_with_parent() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
