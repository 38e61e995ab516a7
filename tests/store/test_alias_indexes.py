"""Migration 17: the users' alias indexes hold only users with the alias, and every alias
lookup (cognito/users/users.py: `pool_id = ? AND x = ?`) still searches them, on both stores."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from poolmail.store import open_database
from tests.support.postgres import fresh_database

ALIASES = {"email": "users_email", "phone": "users_phone", "preferred_username": "users_preferred"}


@pytest.mark.parametrize("column", ALIASES)
def test_sqlite_alias_lookups_search_the_partial_index(tmp_path: Path, column: str) -> None:
    db = open_database(data_dir=str(tmp_path))
    try:
        with db.transaction(readonly=True) as tx:
            plan = tx.fetchall(
                f"EXPLAIN QUERY PLAN SELECT username FROM users WHERE pool_id = ? AND {column} = ?",
                ("p", "x"),
            )
            definition = tx.fetchone(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                (ALIASES[column],),
            )
    finally:
        db.close()
    assert [row[3] for row in plan] == [
        f"SEARCH users USING INDEX {ALIASES[column]} (pool_id=? AND {column}=?)"
    ]
    assert definition is not None and definition[0].endswith(f"WHERE {column} IS NOT NULL")


@pytest.mark.postgres
@pytest.mark.parametrize("column", ALIASES)
def test_postgres_alias_lookups_search_the_partial_index(column: str) -> None:
    with fresh_database() as url:
        open_database(database_url=url).close()
        with psycopg.connect(url) as connection:
            # The generic plan is what a prepared statement runs with any value.
            connection.execute("SET enable_seqscan = off")
            connection.execute("SET plan_cache_mode = force_generic_plan")
            connection.execute(
                f"PREPARE lookup (text, text) AS "
                f"SELECT username FROM users WHERE pool_id = $1 AND {column} = $2"
            )
            plan = [row[0] for row in connection.execute("EXPLAIN EXECUTE lookup('p', 'x')")]
            definition = connection.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (ALIASES[column],)
            ).fetchone()
    assert plan[0].startswith(f"Index Scan using {ALIASES[column]} on users")
    assert definition is not None and definition[0].endswith(f"WHERE ({column} IS NOT NULL)")
