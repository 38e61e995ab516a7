"""ListUsers: its `Filter` language (`email = "x"`, `email ^= "x"`) and the paged search.

AWS (how-to-manage-user-accounts.md): one standard attribute per filter, `=` for an exact
and `^=` for a prefix match, quotes inside the value escaped with a backslash; results
sorted by the filtered attribute. Matching ignores case except for `username` (case-sensitive,
unless the pool is not) and `status` (`Enabled` / `Disabled`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.users import column_search, search_index
from poolmail.cognito.users.users import (
    StoredUser,
    case_sensitive,
    pool_users_page,
    user_type,
    users_named,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Dialect, Transaction

_FILTER = re.compile(r'^\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*$', re.DOTALL)
PARSE_ERROR = "Error while parsing filter."
DEFAULT_LIMIT = 60

# What ListUsers' filter accepts: the user's columns, and the JSON attributes the index holds.
SEARCHABLE = (*column_search.ATTRIBUTES, *search_index.IN_ATTRIBUTES)


@dataclass(frozen=True, slots=True)
class Filter:
    attribute: str
    prefix: bool  # `^=` rather than `=`
    value: str


def parse_filter(text: str) -> Filter | None:
    """The filter a `Filter` string states; None for an empty one (every user)."""
    if not text.strip():
        return None
    found = _FILTER.match(text)
    if found is None:
        raise AwsError("InvalidParameterException", PARSE_ERROR)
    attribute, operator, quoted = found.groups()
    if attribute not in SEARCHABLE:
        # moto's wording, the only one published; AWS's own text was not found.
        raise AwsError("InvalidParameterException", f"Invalid search attribute: {attribute}")
    value = re.sub(r"\\(.)", r"\1", quoted)
    return Filter(attribute, operator == "^=", value)


def value_of(user: StoredUser, attribute: str) -> str | None:
    if attribute == "username":
        return user.username
    if attribute == "sub":
        return user.sub
    if attribute == "cognito:user_status":
        return user.status
    if attribute == "status":
        return "Enabled" if user.enabled else "Disabled"
    return user.attributes.get(attribute)


def matcher(query: Filter, case_sensitive_usernames: bool) -> Callable[[StoredUser], bool]:
    exact_case = query.attribute == "status" or (
        query.attribute == "username" and case_sensitive_usernames
    )

    def fold(text: str) -> str:
        return text if exact_case else text.lower()

    wanted = fold(query.value)

    def matches(user: StoredUser) -> bool:
        value = value_of(user, query.attribute)
        if value is None:
            return False
        have = fold(value)
        return have.startswith(wanted) if query.prefix else have == wanted

    return matches


def _position(user: StoredUser, query: Filter | None) -> list[Any]:
    # What a PaginationToken holds: ListUsers' order is (filtered value, creation,
    # username); without a filter, the value is "".
    key = (value_of(user, query.attribute) or "") if query else ""
    return [key, user.created, user.username]


def _after(token: str) -> tuple[str, float, str]:
    key, created, username = decode_token(token, "InvalidParameterException", 3)
    if (
        not isinstance(key, str)
        or not isinstance(username, str)
        or isinstance(created, bool)
        or not isinstance(created, (int, float))
    ):
        raise AwsError("InvalidParameterException", "Invalid pagination token.")
    return key, float(created), username


def search(
    tx: Transaction,
    dialect: Dialect,
    pool: StoredPool,
    query: Filter,
    after: tuple[str, float, str] | None,
    limit: int,
) -> list[StoredUser]:
    """Up to ``limit`` users ``query`` matches, in ListUsers' order, after ``after``.

    The index (search_index.py), or for the users row's own columns column_search.py,
    offers candidates in order, a superset of the matches; each is then checked as a user,
    so what matches is decided here, as before the index.
    """
    sensitive = case_sensitive(pool)
    matches = matcher(query, sensitive)
    found: list[StoredUser] = []
    position: tuple[str, float, str] | None = after
    while len(found) < limit:
        wanted = limit - len(found)
        if query.attribute in column_search.ATTRIBUTES:
            offered = column_search.matching(
                tx,
                dialect,
                pool.id,
                query.attribute,
                query.value,
                prefix=query.prefix,
                sensitive=sensitive,
                after=position,
                limit=wanted,
            )
        else:
            offered = search_index.matching(
                tx,
                pool.id,
                query.attribute,
                query.value,
                prefix=query.prefix,
                # The JSON attributes all compare without case.
                exact_case=False,
                after=position,
                limit=wanted,
            )
        loaded = users_named(tx, pool.id, [username for username, _, _ in offered])
        for username, _, _ in offered:
            user = loaded.get(username)
            if user is not None and matches(user):
                found.append(user)
        if len(offered) < wanted:
            break
        username, value, created = offered[-1]
        position = (value, created, username)
    return found


def list_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    query = parse_filter(params.get("Filter") or "")
    limit = params.get("Limit") or DEFAULT_LIMIT
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        token = params.get("PaginationToken")
        after = _after(token) if token is not None else None
        # One more than asked for: whether another page follows.
        if query is None:
            since = (after[1], after[2]) if after else None
            users = pool_users_page(tx, pool.id, since, limit + 1)
        else:
            users = search(tx, ctx.db.dialect, pool, query, after, limit + 1)
    # AWS: "If the array is empty, all attributes are returned" (the developer guide's
    # ListUsers examples send `"AttributesToGet": []` for every attribute).
    names = params.get("AttributesToGet") or None
    result: dict[str, Any] = {"Users": [user_type(user, names) for user in users[:limit]]}
    if len(users) > limit:
        result["PaginationToken"] = encode_token(_position(users[limit - 1], query))
    return result


OPERATIONS: dict[str, Handler] = {"ListUsers": list_users}
