"""Backends for the storage contract suite: SQLite on disk, SQLite in memory, PostgreSQL.

Each PostgreSQL case gets a fresh database of its own, created on the server that
POOLMAIL_TEST_POSTGRES_URL names and dropped afterwards, so runs never see each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from poolmail.store import Database, open_database
from poolmail.store.postgres import PostgresDatabase
from poolmail.store.sqlite import MEMORY, SqliteDatabase
from tests.support.postgres import fresh_database

ALL_BACKENDS = [
    pytest.param("sqlite-file"),
    pytest.param("sqlite-memory"),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
# Backends whose state outlives the object: reopened, or opened twice at once.
PERSISTENT_BACKENDS = [ALL_BACKENDS[0], ALL_BACKENDS[2]]


@dataclass
class Backend:
    """How to open one kind of database; closes whatever it opened when the test ends."""

    name: str
    data_dir: str | None = None
    database_url: str | None = None
    opened: list[Database] = field(default_factory=list)

    def open(self) -> Database:
        """Open as the server does: through open_database, migrating."""
        return self._keep(open_database(data_dir=self.data_dir, database_url=self.database_url))

    def open_unmigrated(self) -> Database:
        if self.database_url is not None:
            return self._keep(PostgresDatabase(self.database_url))
        assert self.data_dir is not None
        if self.data_dir == MEMORY:
            return self._keep(SqliteDatabase(MEMORY))
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        return self._keep(SqliteDatabase(str(Path(self.data_dir) / "poolmail.sqlite3")))

    def close_all(self) -> None:
        for db in self.opened:
            db.close()

    def _keep(self, db: Database) -> Database:
        self.opened.append(db)
        return db


@pytest.fixture
def postgres_url() -> Iterator[str]:
    # Dropped without FORCE: a connection the store left open fails the test, as it should.
    with fresh_database(force_drop=False) as url:
        yield url


def _make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    if name == "postgres":
        backend = Backend(name, database_url=request.getfixturevalue("postgres_url"))
    elif name == "sqlite-memory":
        backend = Backend(name, data_dir=MEMORY)
    else:
        backend = Backend(name, data_dir=str(tmp_path / "data"))
    try:
        yield backend
    finally:
        backend.close_all()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _make_backend(request, tmp_path)


@pytest.fixture(params=PERSISTENT_BACKENDS)
def persistent_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _make_backend(request, tmp_path)


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.open()
