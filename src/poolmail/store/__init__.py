"""Where poolmail keeps its state: ``open_database`` picks SQLite or PostgreSQL and migrates
the schema to the version this code knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from poolmail.store.base import Database, Dialect, PendingCommit, Row, Transaction
from poolmail.store.migrations import SchemaTooNewError, migrate
from poolmail.store.sqlite import MEMORY, SqliteDatabase

__all__ = [
    "POSTGRES_SCHEMES",
    "Database",
    "Dialect",
    "PendingCommit",
    "Row",
    "SchemaTooNewError",
    "Transaction",
    "open_database",
]

SQLITE_FILE_NAME = "poolmail.sqlite3"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_database(
    *,
    data_dir: str | None = None,
    database_url: str | None = None,
    sqlite_sync: Literal["full", "normal"] = "normal",
    migrate_schema: bool = True,
    processes: int = 1,
) -> Database:
    """Open (creating and migrating as needed) the database the command line names.

    ``database_url`` (``postgresql://...``) wins; otherwise SQLite in ``data_dir``, or a
    throwaway in-memory database when ``data_dir`` is ``":memory:"``. Without
    ``migrate_schema`` the schema is taken as it is (`--workers`: the parent migrated it).
    ``processes`` is how many server processes share a SQLite file (`--workers`).
    """
    db: Database
    if database_url is not None:
        if not database_url.startswith(POSTGRES_SCHEMES):
            raise ValueError(
                f"unsupported database URL {database_url.split(':')[0]}:...; use postgresql://"
            )
        # Imported here so SQLite-only runs never load psycopg.
        from poolmail.store.postgres import PostgresDatabase

        db = PostgresDatabase(database_url)
    elif data_dir == MEMORY:
        db = SqliteDatabase(MEMORY)
    elif data_dir is not None:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(
            str(directory / SQLITE_FILE_NAME), sync=sqlite_sync, shared=processes > 1
        )
    else:
        raise ValueError("open_database needs a data_dir or a database_url")
    if not migrate_schema:
        return db
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db
