"""ListUsers' index of attribute values (table `cognito_user_search`, migration 12): one row
per user and filterable attribute held in the user's JSON attributes (email, phone_number,
the names, preferred_username), with the value folded as a filter compares it, so a filter
reads its matches in order instead of every user of the pool. The four attributes every
user has (username, sub, status, cognito:user_status) are read from the `users` row's own
columns instead (column_search.py): a new user writes one row here for a typical email.

Written in the transaction of every write to `users`: ``index_user`` after an insert,
``reindex_user`` after an update, ``refresh_user`` after anything else (a deletion, a
restored row); a deleted pool's rows go with its other tables. The Python check of the
filter (filters.matcher) stays the final word on each user the index offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from poolmail.protocol import fast_json
from poolmail.store import Transaction

# The attributes ListUsers can filter on that `filters.value_of` reads from the user's JSON
# attributes: the ones this index holds.
IN_ATTRIBUTES = (
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
)

_COLUMNS = "pool_id, username, name, value_key, value, created_at"
# What neither store can hold in TEXT (PostgreSQL refuses NUL; lone surrogates have no
# UTF-8): mapped one for one to U+FFFD in the index only, which keeps every match a
# match (the filter's check decides); users rows keep the values as they were.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def fold(text: str) -> str:
    """The value as filters compare it without case (`str.lower`, as filters.matcher)."""
    return storable(text.lower())


def searchable_values(attributes: Mapping[str, str]) -> dict[str, str]:
    """Attribute name -> the value a filter on it reads (filters.value_of), for those held
    here."""
    return {name: attributes[name] for name in IN_ATTRIBUTES if attributes.get(name) is not None}


def _entries(values: Mapping[str, str], created: float) -> dict[str, tuple[str, str, float]]:
    return {name: (fold(value), storable(value), created) for name, value in values.items()}


def _insert(
    tx: Transaction, pool_id: str, username: str, entries: Iterable[tuple[str, tuple[Any, ...]]]
) -> None:
    rows = [(pool_id, username, name, *entry) for name, entry in entries]
    if rows:
        marks = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
        tx.execute(
            f"INSERT INTO cognito_user_search ({_COLUMNS}) VALUES {marks}",
            [value for row in rows for value in row],
        )


def index_user(
    tx: Transaction, pool_id: str, username: str, created: float, values: Mapping[str, str]
) -> None:
    """The rows of a user just inserted."""
    _insert(tx, pool_id, username, _entries(values, created).items())


def reindex_user(
    tx: Transaction, pool_id: str, username: str, created: float, values: Mapping[str, str]
) -> None:
    """Bring a user's rows to ``values``, writing only those that changed (most updates,
    a sign-in's, change none)."""
    have = {
        str(row[0]): (row[1], row[2], float(row[3]))
        for row in tx.fetchall(
            "SELECT name, value_key, value, created_at FROM cognito_user_search "
            "WHERE pool_id = ? AND username = ?",
            (pool_id, username),
        )
    }
    want = _entries(values, created)
    stale = [name for name, entry in have.items() if want.get(name) != entry]
    if stale:
        marks = ", ".join("?" * len(stale))
        tx.execute(
            "DELETE FROM cognito_user_search WHERE pool_id = ? AND username = ? "
            f"AND name IN ({marks})",
            (pool_id, username, *stale),
        )
    _insert(tx, pool_id, username, ((n, e) for n, e in want.items() if have.get(n) != e))


def refresh_user(tx: Transaction, pool_id: str, username: str) -> None:
    """Make a user's rows those of their users row as it now is (none if it is gone): for
    writers that change `users` with their own SQL."""
    row = tx.fetchone(
        "SELECT created_at, data FROM users WHERE pool_id = ? AND username = ?",
        (pool_id, username),
    )
    if row is None:
        tx.execute(
            "DELETE FROM cognito_user_search WHERE pool_id = ? AND username = ?",
            (pool_id, username),
        )
        return
    created, data = row
    values = searchable_values(fast_json.loads(data).get("attributes") or {})
    reindex_user(tx, pool_id, username, float(created), values)


def backfill(tx: Transaction) -> None:
    """Index every user (migration 12), a pool at a time to bound what is held."""
    for (pool_id,) in tx.fetchall("SELECT DISTINCT pool_id FROM users"):
        rows = tx.fetchall(
            "SELECT username, created_at, data FROM users WHERE pool_id = ?", (pool_id,)
        )
        for username, created, data in rows:
            values = searchable_values(fast_json.loads(data).get("attributes") or {})
            index_user(tx, pool_id, username, float(created), values)


def successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (code point order,
    which is SQLite's BINARY and PostgreSQL's "C"); None when there is none."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            # No column compared holds surrogates (storable), so the next code point after the
            # last one before them is the first one after.
            return prefix[:-1] + chr(0xE000 if last == 0xD7FF else last + 1)
        prefix = prefix[:-1]
    return None


def starting_with(column: str, prefix: str) -> tuple[str, list[Any]]:
    above = successor(prefix)
    if above is None:
        return f"{column} >= ?", [prefix]
    return f"{column} >= ? AND {column} < ?", [prefix, above]


def matching(
    tx: Transaction,
    pool_id: str,
    name: str,
    wanted: str,
    *,
    prefix: bool,
    exact_case: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> list[tuple[str, str, float]]:
    """Up to ``limit`` users whose ``name`` equals (or, with ``prefix``, starts with)
    ``wanted``, ignoring case unless ``exact_case``, as (username, value, created) in
    ListUsers' order (value, creation, username), after the position ``after`` (such a
    triple, value first). Never fewer than match; the caller checks each one."""
    conditions = ["pool_id = ?", "name = ?"]
    values: list[Any] = [pool_id, name]
    compared = [("value_key", fold(wanted))]
    if exact_case:
        compared.append(("value", storable(wanted)))
    for column, text in compared:
        if prefix:
            condition, bound = starting_with(column, text)
            conditions.append(condition)
            values += bound
        else:
            conditions.append(f"{column} = ?")
            values.append(text)
    if after is not None:
        conditions.append("(value, created_at, username) > (?, ?, ?)")
        values += [storable(after[0]), after[1], after[2]]
    return [
        (str(row[0]), str(row[1]), float(row[2]))
        for row in tx.fetchall(
            f"SELECT username, value, created_at FROM cognito_user_search "
            f"WHERE {' AND '.join(conditions)} ORDER BY value, created_at, username LIMIT ?",
            [*values, limit],
        )
    ]
