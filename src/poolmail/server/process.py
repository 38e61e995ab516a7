"""One `poolmail serve` process: uvicorn configured for it, glibc told to give memory
back, and the app on its database until a signal stops it."""

from __future__ import annotations

import asyncio
import ctypes
import socket
import sys
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.functions import note_server_url
from poolmail.server.admin_guard import AdminGuard
from poolmail.server.app import create_app
from poolmail.store import open_database


class ReadyServer(uvicorn.Server):
    """Prints the ready line once the socket is bound, with the port really in use (or,
    as a worker of `--workers`, tells the parent, which prints it once for all)."""

    announce: Callable[[], None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # SIGTERM/SIGINT is how `poolmail serve` is meant to stop: after the graceful
        # shutdown, exit 0 instead of uvicorn's re-raising the signal at the end.
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        note_server_url(f"http://{shown}:{port}")
        if self.announce is not None:
            self.announce()
            return
        print(f"poolmail ready on http://{shown}:{port}", flush=True)


def _http_protocol() -> type[asyncio.Protocol] | str:
    """httptools with each round's writes joined (server/coalesce.py) where httptools is
    installed (uvicorn[standard]), uvicorn's choice otherwise."""
    try:
        from poolmail.server.coalesce import JoinedWritesProtocol
    except ImportError:
        return "auto"
    return JoinedWritesProtocol


def server_config(app: ASGIApp, settings: Settings, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",
        http=_http_protocol(),
        # No route takes a WebSocket, and "auto" imports the websockets package at every
        # start; without it an Upgrade request is answered as the plain HTTP request it is.
        ws="none",
        log_level=log_level,
        access_log=False,
        server_header=False,
        lifespan="on",
    )


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
_M_ARENA_MAX = -8


def return_large_blocks() -> None:
    """Have glibc hand every freed block of 128 KiB or more back to the system, and keep
    freed small blocks in two arenas at most.

    By default it raises that threshold after the first large free, so big blocks freed
    by worker threads stay in each thread's arena: sixteen threads hashing passwords
    (scrypt takes 16 MiB at a time) kept 250 MB resident for the life of the server.
    And it gives threads up to eight arenas per core, each keeping what was freed in it:
    the threads take turns on the GIL, so more than two only held memory (6 MB of the
    benchmark's 107 after its load).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a libc without mallopt (musl)
        return
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    mallopt(_M_ARENA_MAX, 2)


def serve_one(
    settings: Settings,
    log_level: str,
    *,
    sock: socket.socket | None = None,
    clock: Clock | None = None,
    announce: Callable[[], None] | None = None,
) -> None:
    """One server process: this one, or a worker of `--workers` on the parent's socket."""
    db = open_database(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        sqlite_sync=settings.sqlite_sync,
        migrate_schema=sock is None,
        processes=settings.workers,
    )
    try:
        app = create_app(settings, db, clock)
        # Server.run, not asyncio.run(serve()): only run() installs the loop the config
        # names, and "auto" means uvloop with httptools wherever they are installed
        # (uvicorn[standard]); the default asyncio loop costs a third of the throughput.
        guarded = AdminGuard(app, settings.admin_token)
        server = ReadyServer(server_config(guarded, settings, log_level))
        server.announce = announce
        server.run(sockets=None if sock is None else [sock])
    finally:
        db.close()
