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


def list_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    query = parse_filter(params.get("Filter") or "")
    limit = params.get("Limit") or DEFAULT_LIMIT
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        users = search(pool, pool_users(tx, pool.id), query)
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
