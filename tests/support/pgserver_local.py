"""The suite's own PostgreSQL, for machines where none answers at the configured URL.

The PyPI package `pgserver` ships PostgreSQL's binaries; this starts one server from them in
a temporary data directory, listening on a Unix socket in that directory only (no TCP port
to collide with), and deletes it when the session ends. Each process that needs one (each
pytest-xdist worker) starts its own, so no process stops a server another is using.

As root, where PostgreSQL refuses to run, pgserver creates a system user `pgserver`
(`useradd`), gives it the data directory, opens the directories above the data directory
and the binaries for reading (go+rx), and runs initdb and pg_ctl as that user.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from tests.support.locks import exclusive_lock

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer


@dataclass
class LocalPostgres:
    """A running server: `url` is its admin URL (user and database `postgres`)."""

    url: str
    version: str
    start_seconds: float
    server: PostgresServer

    def stop(self) -> None:
        """Stop the server and delete its data directory."""
        self.server.cleanup()


def start_local_postgres() -> LocalPostgres:
    with warnings.catch_warnings():
        # platformdirs warns at import where XDG_RUNTIME_DIR is unset (CI, containers);
        # pgserver then keeps its lock file under /tmp, which is all it needs.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

    data_dir = Path(tempfile.mkdtemp(prefix="poolmail-pg-"))
    try:
        # pgserver creates its system user where none is (root) without a lock of its own:
        # two workers doing it at once, one's `useradd` fails.
        with exclusive_lock("pgserver start"):
            started = time.monotonic()
            server = get_server(data_dir, cleanup_mode="delete")
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    seconds = time.monotonic() - started
    url = server.get_uri("postgres")
    with psycopg.connect(url, autocommit=True) as connection:
        # Throwaway data: durability only costs time (settings a reload applies).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            connection.execute(f"ALTER SYSTEM SET {setting} = off")
        connection.execute("SELECT pg_reload_conf()")
        row = connection.execute("SHOW server_version").fetchone()
    assert row is not None
    version = str(row[0])
    return LocalPostgres(url=url, version=version, start_seconds=seconds, server=server)
