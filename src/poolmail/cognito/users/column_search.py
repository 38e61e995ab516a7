"""ListUsers' filters on the four attributes every user has (`username`, `sub`, `status`,
`cognito:user_status`), answered from the `users` row's own columns and indexes, so a new
user writes no index rows for them (search_index.py holds the JSON attributes' values).

Like search_index.matching: candidates in ListUsers' order (value as stored, creation,
username), never fewer than match; filters.matcher decides each one. PostgreSQL compares
these columns as "C" (code points, as SQLite and Python do), through the indexes migration
12 makes for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from poolmail.cognito.users.search_index import starting_with, storable
from poolmail.store import Dialect, Transaction

ATTRIBUTES = frozenset({"username", "sub", "status", "cognito:user_status"})
_SELECTED = "SELECT username, {value}, created_at FROM users WHERE pool_id = ?"
# Characters outside ASCII whose str.lower starts with an ASCII letter (KELVIN SIGN -> k,
# LATIN CAPITAL I WITH DOT ABOVE -> i + U+0307): the only ones a case-insensitive ASCII
# username filter can match that LOWER(username) does not fold to ASCII. Users whose
# username holds one are also kept in a partial index (migration 12), rarely written.
UNFOLDED = ("\u212a", "\u0130")

Found = list[tuple[str, str, float]]


def _text(dialect: Dialect, expression: str) -> str:
    return f'{expression} COLLATE "C"' if dialect == "postgresql" else expression


def unfolded_condition(dialect: Dialect) -> str:
    """The partial index's condition, as its migration states it (the planner uses the
    index only for this very text)."""
    find = "strpos" if dialect == "postgresql" else "instr"
    return " OR ".join(f"{find}(username, '{char}') > 0" for char in UNFOLDED)


def _compared(column: str, wanted: str, prefix: bool) -> tuple[str, list[Any]]:
    if prefix:
        return starting_with(column, storable(wanted))
    return f"{column} = ?", [storable(wanted)]


def _rows(tx: Transaction, sql: str, values: Sequence[Any]) -> Found:
    return [(str(row[0]), str(row[1]), float(row[2])) for row in tx.fetchall(sql, values)]


def _after(dialect: Dialect, column: str, after: Sequence[Any] | None) -> tuple[str, list[Any]]:
    if after is None:
        return "", []
    # The leading bound alone lets either store seek its index there.
    key = storable(after[0])
    row = f"({column}, created_at, {_text(dialect, 'username')}) > (?, ?, ?)"
    return f" AND {column} >= ? AND {row}", [key, key, after[1], after[2]]


def _unique(
    tx: Transaction,
    dialect: Dialect,
    pool_id: str,
    name: str,
    wanted: str,
    *,
    prefix: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> Found:
    """`username` (case-sensitive) or `sub`: unique in a pool, so ordered by itself."""
    column = _text(dialect, name)
    condition, values = _compared(column, wanted, prefix)
    later, bound = _after(dialect, column, after)
    sql = f"{_SELECTED.format(value=name)} AND {condition}{later} ORDER BY {column} LIMIT ?"
    return _rows(tx, sql, [pool_id, *values, *bound, limit])


def _without_case(
    tx: Transaction,
    dialect: Dialect,
    pool_id: str,
    wanted: str,
    *,
    prefix: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> Found:
    """`username` in a case-insensitive pool (str.lower on both sides)."""
    column = _text(dialect, "username")
    later, bound = _after(dialect, column, after)
    folded = wanted.lower()
    if not folded.isascii():
        # LOWER folds ASCII only (SQLite) or as the database's locale does (PostgreSQL):
        # neither is str.lower, so offer every user in order and let the filter decide.
        sql = f"{_SELECTED.format(value='username')}{later} ORDER BY {column} LIMIT ?"
        return _rows(tx, sql, [pool_id, *bound, limit])
    condition, values = _compared(_text(dialect, "LOWER(username)"), folded, prefix)
    selected = _SELECTED.format(value="username")
    folding = _rows(tx, f"{selected} AND {condition}{later}", [pool_id, *values, *bound])
    # SQLite's planner, without statistics, may prefer walking the whole pool.
    chosen = " INDEXED BY users_username_unfolded" if dialect == "sqlite" else ""
    unfolded = f"{selected} AND ({unfolded_condition(dialect)}){later}".replace(
        "FROM users", f"FROM users{chosen}", 1
    )
    found = {row[0]: row for row in [*folding, *_rows(tx, unfolded, [pool_id, *bound])]}
    # Matches by LOWER(username) come in its order, not the username's: sorted here, as
    # the attribute index sorts a case-insensitive prefix's matches.
    return sorted(found.values(), key=lambda row: (row[1], row[2], row[0]))[:limit]


def _by_value(
    tx: Transaction,
    dialect: Dialect,
    pool_id: str,
    column: str,
    values: dict[str, Any],
    after: Sequence[Any] | None,
    limit: int,
) -> Found:
    """Users whose ``column`` holds one of ``values`` (filter value -> stored value), a value
    at a time in the filter values' order, each by (creation, username)."""
    username = _text(dialect, "username")
    found: Found = []
    for value in sorted(values):
        if after is not None and value < after[0]:
            continue
        later: list[Any] = []
        condition = ""
        if after is not None and value == after[0]:
            condition = f" AND (created_at, {username}) > (?, ?)"
            later = [after[1], after[2]]
        sql = (
            f"SELECT username, created_at FROM users WHERE pool_id = ? AND {column} = ?"
            f"{condition} ORDER BY created_at, {username} LIMIT ?"
        )
        rows = tx.fetchall(sql, [pool_id, values[value], *later, limit - len(found)])
        found += [(str(name), value, float(created)) for name, created in rows]
        if len(found) >= limit:
            break
    return found


def matching(
    tx: Transaction,
    dialect: Dialect,
    pool_id: str,
    name: str,
    wanted: str,
    *,
    prefix: bool,
    sensitive: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> Found:
    """As search_index.matching, for a name in ATTRIBUTES; ``sensitive``: the pool's
    usernames are case-sensitive."""
    if name == "status":
        # Exact case, as filters.matcher compares it.
        shown = {"Disabled": 0, "Enabled": 1}
        chosen = {
            v: n for v, n in shown.items() if (v.startswith(wanted) if prefix else v == wanted)
        }
        return _by_value(tx, dialect, pool_id, "enabled", chosen, after, limit)
    if name == "cognito:user_status":
        # Statuses are upper-case ASCII (users.py's constants; a migration trigger's is
        # checked against them): one matching str.lower's fold of the filter value is
        # spelled as that fold upper-cased, and users_status is in ListUsers' order.
        column = _text(dialect, "status")
        condition, values = _compared(column, wanted.lower().upper(), prefix)
        later, bound = _after(dialect, column, after)
        order = f"{column}, created_at, {_text(dialect, 'username')}"
        sql = f"{_SELECTED.format(value='status')} AND {condition}{later} ORDER BY {order} LIMIT ?"
        return _rows(tx, sql, [pool_id, *values, *bound, limit])
    if name == "sub":
        # poolmail's subs are lower-case UUIDs (uuid4), so str.lower's fold of the filter
        # value is the only spelling a match can have.
        return _unique(
            tx, dialect, pool_id, "sub", wanted.lower(), prefix=prefix, after=after, limit=limit
        )
    if sensitive:
        return _unique(
            tx, dialect, pool_id, "username", wanted, prefix=prefix, after=after, limit=limit
        )
    return _without_case(tx, dialect, pool_id, wanted, prefix=prefix, after=after, limit=limit)
