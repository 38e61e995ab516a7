"""ListUsers' filter narrowed in SQL (filters.narrowing): the database returns a superset
of the matches, never fewer, whatever the value holds (LIKE's own characters, case,
quotes, the one non-ASCII character whose lower case is ASCII), on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from poolmail.cognito.filters import Filter, narrowing
from tests.cognito.test_signup import idp, make_pool
from tests.cognito.test_users import add_user, names
from tests.support.server import ServerProcess

KELVIN = "\u212a"  # KELVIN SIGN: "K".lower() == "k"


@pytest.fixture
def tricky(live: ServerProcess) -> str:
    pool_id = make_pool(live)
    add_user(live, pool_id, "pct", email="a%b_c!d@example.com", name="Per Cent")
    add_user(live, pool_id, "plain", email="aXb.c!d@example.com", name="plain")
    add_user(live, pool_id, "upper", email="MiXeD@Example.COM", given_name='Say "hi"')
    add_user(live, pool_id, "kelvin", name=f"{KELVIN}ate", family_name="Ångström")
    add_user(live, pool_id, "kate", name="Kate", family_name="angstrom")
    return pool_id


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('email = "a%b_c!d@example.com"', ["pct"]),
        ('email ^= "a%"', ["pct"]),
        ('email ^= "a_"', []),
        ('email ^= "ax"', ["plain"]),
        ('email = "mixed@example.com"', ["upper"]),
        ('email ^= "MIXED@"', ["upper"]),
        ('given_name = "say \\"HI\\""', ["upper"]),
        ('name = "kate"', ["kate", "kelvin"]),
        ('name ^= "KA"', ["kate", "kelvin"]),
        ('family_name = "ångström"', ["kelvin"]),
        ('family_name = "angstrom"', ["kate"]),
        ('username = "Kate"', []),
        ('username ^= "k"', ["kate", "kelvin"]),
        ('username = "p%t"', []),
        ('cognito:user_status ^= "FORCE"', ["kate", "kelvin", "pct", "plain", "upper"]),
        ('status ^= "Dis"', []),
        ('status ^= ""', ["kate", "kelvin", "pct", "plain", "upper"]),
    ],
)
def test_narrowed_filters_match_as_before(
    live: ServerProcess, tricky: str, expression: str, expected: list[str]
) -> None:
    answer = idp(live).list_users(UserPoolId=tricky, Filter=expression)
    assert sorted(names(answer)) == expected


def test_sub_filter_and_pages(live: ServerProcess, tricky: str) -> None:
    cognito = idp(live)
    every: list[dict[str, Any]] = cognito.list_users(UserPoolId=tricky)["Users"]
    sub = next(
        attribute["Value"]
        for user in every
        if user["Username"] == "pct"
        for attribute in user["Attributes"]
        if attribute["Name"] == "sub"
    )
    assert names(cognito.list_users(UserPoolId=tricky, Filter=f'sub = "{sub.upper()}"')) == ["pct"]
    first = cognito.list_users(UserPoolId=tricky, Filter='name ^= "k"', Limit=1)
    second = cognito.list_users(
        UserPoolId=tricky, Filter='name ^= "k"', Limit=1, PaginationToken=first["PaginationToken"]
    )
    assert sorted(names(first) + names(second)) == ["kate", "kelvin"]


@pytest.mark.parametrize(
    ("query", "dialect", "expected"),
    [
        (Filter("email", False, "A@B.c"), "sqlite", ("data LIKE ? ESCAPE '!'", ['%"a@b.c"%'])),
        (Filter("email", True, "a_"), "sqlite", ("data LIKE ? ESCAPE '!'", ['%"a!_%'])),
        (
            Filter("name", False, "Kit"),
            "postgresql",
            ("LOWER(data) LIKE ? ESCAPE '!'", ['%"%it"%']),
        ),
        (Filter("username", True, "B!"), "sqlite", ("username LIKE ? ESCAPE '!'", ["b!!%"])),
        (Filter("status", False, "Enabled"), "sqlite", ("enabled = ?", [1])),
        (Filter("status", False, "enabled"), "sqlite", ("1 = 0", [])),
        (Filter("status", True, ""), "sqlite", None),
        # Not narrowed: characters the JSON escapes, and non-ASCII.
        (Filter("given_name", False, 'a"b'), "sqlite", None),
        (Filter("given_name", False, "a\\b"), "sqlite", None),
        (Filter("family_name", False, "Å"), "sqlite", None),
    ],
)
def test_narrowing_conditions(
    query: Filter, dialect: str, expected: tuple[str, list[Any]] | None
) -> None:
    assert narrowing(query, dialect) == expected
