"""A fresh PostgreSQL database per use, on the server the tests are pointed at."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

POSTGRES_URL = os.environ.get(
    "POOLMAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def require_postgres() -> None:
    """Fail (or, with POOLMAIL_SKIP_POSTGRES=1, skip) when no server answers."""
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        if os.environ.get("POOLMAIL_SKIP_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL} (POOLMAIL_SKIP_POSTGRES=1)")
        pytest.fail(
            f"PostgreSQL is unreachable at {POSTGRES_URL}: {error}\n"
            "Start one, point POOLMAIL_TEST_POSTGRES_URL at it, or set "
            "POOLMAIL_SKIP_POSTGRES=1 to skip the PostgreSQL cases.",
            pytrace=False,
        )


@contextmanager
def fresh_database(*, force_drop: bool = True) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards.

    ``force_drop`` ends connections still open at the end (a server killed mid-test);
    without it, such a connection makes the drop fail.
    """
    require_postgres()
    name = f"poolmail_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(POSTGRES_URL)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            drop = "DROP DATABASE {} WITH (FORCE)" if force_drop else "DROP DATABASE {}"
            admin.execute(sql.SQL(drop).format(sql.Identifier(name)))
