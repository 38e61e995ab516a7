"""A fresh PostgreSQL database per use, on the server the tests are pointed at.

That is the server at POOLMAIL_TEST_POSTGRES_URL; when nothing answers there, the suite's
own (tests/support/pgserver_local.py), started at the first use and stopped when the session
ends (tests/conftest.py). POOLMAIL_SKIP_POSTGRES=1 skips the PostgreSQL cases instead.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.support.pgserver_local import LocalPostgres, start_local_postgres

POSTGRES_URL = os.environ.get(
    "POOLMAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

# This process's own server, once started, or why it could not start.
_local: LocalPostgres | None = None
_local_failure: str | None = None


def admin_url() -> str:
    """The URL databases are created from: the configured server's when one answers there,
    else the suite's own; fails (or, with POOLMAIL_SKIP_POSTGRES=1, skips) otherwise."""
    global _local, _local_failure
    if _local is not None:
        return _local.url
    try:
        _connect(POSTGRES_URL).close()
        return POSTGRES_URL
    except psycopg.OperationalError as error:
        unreachable = error
    if os.environ.get("POOLMAIL_SKIP_POSTGRES") == "1":
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL} (POOLMAIL_SKIP_POSTGRES=1)")
    if server_listens(POSTGRES_URL):
        # A server is there but refuses us: a configuration to fix, not one to paper over.
        pytest.fail(
            f"PostgreSQL at {POSTGRES_URL} refuses the tests: {unreachable}\n"
            "Fix the URL in POOLMAIL_TEST_POSTGRES_URL (user, password, database), or set "
            "POOLMAIL_SKIP_POSTGRES=1 to skip the PostgreSQL cases.",
            pytrace=False,
        )
    if _local_failure is None:
        try:
            _local = start_local_postgres()
            return _local.url
        except Exception as error:
            _local_failure = f"{type(error).__name__}: {error}"
    pytest.fail(
        f"No PostgreSQL answers at {POSTGRES_URL}, and the suite's own (the pgserver "
        f"package) did not start: {_local_failure}\n"
        "Start one, point POOLMAIL_TEST_POSTGRES_URL at it, or set "
        "POOLMAIL_SKIP_POSTGRES=1 to skip the PostgreSQL cases.",
        pytrace=False,
    )


# A server shared with other work may be at its connection limit for a moment: a test
# waits that out rather than fail on it.
_BUSY = "too many clients"
_BUSY_WAIT_SECONDS = 60.0


def _connect(url: str, **options: Any) -> psycopg.Connection[Any]:
    deadline = time.monotonic() + _BUSY_WAIT_SECONDS
    while True:
        try:
            return psycopg.connect(url, connect_timeout=5, **options)
        except psycopg.OperationalError as error:
            if _BUSY not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def local_server() -> LocalPostgres | None:
    """The suite's own server, if this process started one."""
    return _local


def stop_local_server() -> None:
    global _local
    if _local is not None:
        _local.stop()
        _local = None


def server_listens(url: str) -> bool:
    """Whether anything accepts connections at the URL's host and port (or socket)."""
    params = conninfo_to_dict(url)
    hosts = str(params.get("host") or "").split(",")
    ports = str(params.get("port") or "5432").split(",")
    for index, host in enumerate(hosts):
        port = int(ports[index] if index < len(ports) else ports[-1])
        try:
            if not host or host.startswith("/"):
                with socket.socket(socket.AF_UNIX) as unix:
                    unix.settimeout(3)
                    unix.connect(f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}")
            else:
                socket.create_connection((host, port), timeout=3).close()
        except OSError:
            continue
        return True
    return False


@contextmanager
def fresh_database(*, force_drop: bool = True) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards.

    ``force_drop`` ends connections still open at the end (a server killed mid-test);
    without it, such a connection makes the drop fail.
    """
    admin = admin_url()
    name = f"poolmail_test_{secrets.token_hex(6)}"
    with _connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(admin)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with _connect(admin, autocommit=True) as connection:
            drop = "DROP DATABASE {} WITH (FORCE)" if force_drop else "DROP DATABASE {}"
            connection.execute(sql.SQL(drop).format(sql.Identifier(name)))
