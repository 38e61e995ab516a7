"""ListUsers' filter answered from the index of attribute values (search_index.py): every
match found, whatever the value holds (SQL's own characters, case, quotes, the two
non-ASCII characters whose lower case holds ASCII), on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cognito.helpers import idp, make_pool
from tests.cognito.users.test_users import add_user, names
from tests.support.server import ServerProcess

KELVIN = "\u212a"  # KELVIN SIGN: "K".lower() == "k"
DOTTED_I = "\u0130"  # LATIN CAPITAL LETTER I WITH DOT ABOVE: lower case "i" + U+0307


@pytest.fixture
def tricky(live: ServerProcess) -> str:
    pool_id = make_pool(live)
    add_user(live, pool_id, "pct", email="a%b_c!d@example.com", name="Per Cent")
    add_user(live, pool_id, "plain", email="aXb.c!d@example.com", name="plain")
    add_user(live, pool_id, "upper", email="MiXeD@Example.COM", given_name='Say "hi"')
    add_user(live, pool_id, "kelvin", name=f"{KELVIN}ate", family_name="Ångström")
    add_user(live, pool_id, "kate", name="Kate", family_name="angstrom")
    add_user(live, pool_id, "izmir", name=f"{DOTTED_I}zmir", given_name="i_am")
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
        ('cognito:user_status ^= "FORCE"', ["izmir", "kate", "kelvin", "pct", "plain", "upper"]),
        ('status ^= "Dis"', []),
        ('status ^= ""', ["izmir", "kate", "kelvin", "pct", "plain", "upper"]),
        ('name ^= "i"', ["izmir"]),
        ('name = "i\u0307ZMIR"', ["izmir"]),
        ('name = "izmir"', []),
        ('given_name ^= "I_"', ["izmir"]),
        ('given_name ^= "I%"', []),
    ],
)
def test_filters_match_whatever_the_value_holds(
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
