"""A database at migration 0, on SQLite and on PostgreSQL: for tests that take it to the
versions before a migration, store rows as they were, then run the migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poolmail.store import Database
from poolmail.store.postgres import PostgresDatabase
from poolmail.store.sqlite import SqliteDatabase
from tests.support.postgres import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db: Database = SqliteDatabase(str(tmp_path / "poolmail.sqlite3"))
        yield db
        db.close()
        return
    with fresh_database() as url:
        db = PostgresDatabase(url)
        yield db
        db.close()
