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

from poolmail.cognito.user_pools import StoredPool, load_pool
from poolmail.cognito.users import StoredUser, case_sensitive, pool_users, user_type
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError

_FILTER = re.compile(r'^\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*$', re.DOTALL)
PARSE_ERROR = "Error while parsing filter."
DEFAULT_LIMIT = 60

SEARCHABLE = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)


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
    key = (value_of(user, query.attribute) or "") if query else ""
    return [key, user.created, user.username]


def search(pool: StoredPool, users: list[StoredUser], query: Filter | None) -> list[StoredUser]:
    if query is None:
        return users
    matches = matcher(query, case_sensitive(pool))
    found = [user for user in users if matches(user)]
    return sorted(found, key=lambda user: _position(user, query))


# Attributes kept in the row's JSON `data` (under "attributes"), and those with a column.
_IN_DATA = frozenset(
    ("email", "phone_number", "name", "given_name", "family_name", "preferred_username")
)
_COLUMN = {"username": "username", "sub": "sub", "cognito:user_status": "status"}
# The JSON of `data` is ASCII (json.dumps escapes the rest as \uXXXX), and a value in it
# is written as is unless it holds one of these; a wanted value outside this set is not
# narrowed in SQL.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def narrowing(query: Filter, dialect: str) -> tuple[str, list[Any]] | None:
    """An SQL condition on the users row that every user ``query`` matches meets (and few
    others do), so only those rows are read and decoded; None when none is sure to hold.

    Only a necessary condition: `search` still decides each row. Matching ignores case
    (`str.lower`), so the condition compares lower-cased text, which SQL's LOWER does for
    ASCII only: hence ASCII values only. The one other character whose lower case is ASCII
    (U+212A KELVIN SIGN -> "k"; stored as "\\u212a" in the JSON) is allowed for by a `%`
    wherever the value has a "k".
    """
    if query.attribute == "status":
        # `Enabled` / `Disabled`, matched with their case: which of the two match is
        # known here.
        wanted = [
            enabled
            for enabled, text in ((1, "Enabled"), (0, "Disabled"))
            if (text.startswith(query.value) if query.prefix else text == query.value)
        ]
        if not wanted:
            return "1 = 0", []
        return ("enabled = ?", wanted) if len(wanted) == 1 else None
    wanted_text = query.value.lower()
    if not _PLAIN.fullmatch(wanted_text):
        return None
    pattern = "".join("%" if char == "k" else _like_escape(char) for char in wanted_text)
    if query.attribute in _COLUMN:
        column = _folded(_COLUMN[query.attribute], dialect)
        return f"{column} LIKE ? ESCAPE '!'", [pattern + "%" if query.prefix else pattern]
    if query.attribute in _IN_DATA:
        # The value as the JSON writes it: after its opening quote (and, for `=`, before
        # its closing one), wherever in `data` it is; the attribute's name is left out
        # (a necessary condition need not be exact).
        closing = "%" if query.prefix else '"%'
        return f"{_folded('data', dialect)} LIKE ? ESCAPE '!'", [f'%"{pattern}{closing}']
    return None


def _folded(column: str, dialect: str) -> str:
    # SQLite's LIKE ignores ASCII case already; PostgreSQL's does not.
    return column if dialect == "sqlite" else f"LOWER({column})"


def _like_escape(char: str) -> str:
    return "!" + char if char in "!%_" else char


def list_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    query = parse_filter(params.get("Filter") or "")
    limit = params.get("Limit") or DEFAULT_LIMIT
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        narrowed = narrowing(query, ctx.db.dialect) if query else None
        where, values = narrowed or ("", [])
        users = search(pool, pool_users(tx, pool.id, where, values), query)
    if "PaginationToken" in params:
        after = decode_token(params["PaginationToken"], "InvalidParameterException", 3)
        users = [user for user in users if _position(user, query) > after]
    # AWS: "If the array is empty, all attributes are returned" (the developer guide's
    # ListUsers examples send `"AttributesToGet": []` for every attribute).
    names = params.get("AttributesToGet") or None
    result: dict[str, Any] = {"Users": [user_type(user, names) for user in users[:limit]]}
    if len(users) > limit:
        result["PaginationToken"] = encode_token(_position(users[limit - 1], query))
    return result


OPERATIONS: dict[str, Handler] = {"ListUsers": list_users}
