"""ListUsers answered from the index of attribute values (cognito/users/search_index.py) and, for
username, sub, status and cognito:user_status, from the users row's columns
(cognito/users/column_search.py), on both stores: every filterable attribute with `=` and `^=`,
the index kept in step with every write (attribute updates and deletions, status changes,
deleted and re-created users), pages in ListUsers' order, case-sensitive and
case-insensitive usernames, non-ASCII values, and an index that migration 12 fills for
users stored before it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.store import Database, open_database
from poolmail.store.migrations import MIGRATIONS, migrate
from poolmail.store.sqlite import SqliteDatabase
from tests.cognito.helpers import idp, make_pool
from tests.cognito.users.test_users import add_user, names
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

# Users of the `crowd` pool, in the order they are created.
CROWD: dict[str, dict[str, str]] = {
    "ana": {
        "email": "ana@example.com",
        "phone_number": "+15550001",
        "name": "Ana Lima",
        "given_name": "Ana",
        "family_name": "Lima",
        "preferred_username": "ana_l",
    },
    "Bob": {
        "email": "BOB@Example.com",
        "phone_number": "+15550002",
        "name": "Bob Stone",
        "given_name": "Bob",
        "family_name": "Stone",
        "preferred_username": "bobby",
    },
    "dmitri": {
        "email": "dmitri@example.ru",
        "name": "Дмитрий Петров",
        "given_name": "Дмитрий",
        "family_name": "Петров",
    },
    "zoe": {"email": "zoe@example.com", "given_name": "Zoë", "family_name": "lima"},
}
EVERYONE = list(CROWD)

# (filter, the usernames ListUsers answers, in its order: by the filtered value as stored,
# then by creation).
FILTERS = [
    ('username = "ana"', ["ana"]),
    ('username ^= "B"', ["Bob"]),
    ('username = "bob"', []),
    ('username ^= ""', ["Bob", "ana", "dmitri", "zoe"]),
    ('email = "bob@example.com"', ["Bob"]),
    ('email ^= "ANA@"', ["ana"]),
    ('email ^= ""', ["Bob", "ana", "dmitri", "zoe"]),
    ('email = "ana@example.co"', []),
    ('phone_number = "+15550002"', ["Bob"]),
    ('phone_number ^= "+1555"', ["ana", "Bob"]),
    ('name = "ana lima"', ["ana"]),
    ('name ^= "ДМИТ"', ["dmitri"]),
    ('name ^= "b"', ["Bob"]),
    ('given_name = "ZOË"', ["zoe"]),
    ('given_name ^= "дМ"', ["dmitri"]),
    ('given_name = "Zoe"', []),
    ('family_name = "LIMA"', ["ana", "zoe"]),
    ('family_name ^= "l"', ["ana", "zoe"]),
    ('family_name ^= "пет"', ["dmitri"]),
    ('preferred_username = "BOBBY"', ["Bob"]),
    ('preferred_username ^= "ana_"', ["ana"]),
    ('cognito:user_status = "force_change_password"', EVERYONE),
    ('cognito:user_status ^= "FORCE"', EVERYONE),
    ('cognito:user_status ^= "CONF"', []),
    ('status = "Enabled"', EVERYONE),
    ('status = "enabled"', []),
    ('status ^= "Dis"', []),
]


def listed(live: ServerProcess, pool_id: str, expression: str, **extra: Any) -> list[str]:
    return names(idp(live).list_users(UserPoolId=pool_id, Filter=expression, **extra))


def every_page(live: ServerProcess, pool_id: str, limit: int, **extra: Any) -> list[str]:
    cognito = idp(live)
    found: list[str] = []
    token: dict[str, str] = {}
    while True:
        answer = cognito.list_users(UserPoolId=pool_id, Limit=limit, **token, **extra)
        assert len(answer["Users"]) <= limit
        found += names(answer)
        if "PaginationToken" not in answer:
            return found
        token = {"PaginationToken": answer["PaginationToken"]}


def sub_of(live: ServerProcess, pool_id: str, username: str) -> str:
    user = idp(live).admin_get_user(UserPoolId=pool_id, Username=username)
    return str(next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"))


def fill_crowd(live: ServerProcess, pool_id: str) -> None:
    for username, attributes in CROWD.items():
        add_user(live, pool_id, username, **attributes)


@pytest.fixture
def crowd(live: ServerProcess) -> str:
    pool_id = make_pool(live)
    fill_crowd(live, pool_id)
    return pool_id


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_every_filterable_attribute(
    live: ServerProcess, crowd: str, expression: str, expected: list[str]
) -> None:
    assert listed(live, crowd, expression) == expected


def test_sub(live: ServerProcess, crowd: str) -> None:
    sub = sub_of(live, crowd, "zoe")
    assert listed(live, crowd, f'sub = "{sub.upper()}"') == ["zoe"]
    assert "zoe" in listed(live, crowd, f'sub ^= "{sub[:4]}"')
    assert listed(live, crowd, f'sub = "{sub[:-1]}"') == []


def test_the_index_follows_every_write(live: ServerProcess, crowd: str) -> None:
    cognito = idp(live)
    cognito.admin_update_user_attributes(
        UserPoolId=crowd,
        Username="ana",
        UserAttributes=[{"Name": "email", "Value": "anna@new.example"}],
    )
    assert listed(live, crowd, 'email = "ana@example.com"') == []
    assert listed(live, crowd, 'email = "ANNA@new.example"') == ["ana"]
    # A write that changes no filterable value leaves the user where they were.
    cognito.admin_update_user_attributes(
        UserPoolId=crowd, Username="ana", UserAttributes=[{"Name": "locale", "Value": "pt"}]
    )
    assert listed(live, crowd, 'family_name = "lima"') == ["ana", "zoe"]

    cognito.admin_delete_user_attributes(
        UserPoolId=crowd, Username="Bob", UserAttributeNames=["family_name", "phone_number"]
    )
    assert listed(live, crowd, 'family_name = "stone"') == []
    assert listed(live, crowd, 'phone_number ^= "+1555"') == ["ana"]

    cognito.admin_disable_user(UserPoolId=crowd, Username="zoe")
    assert listed(live, crowd, 'status = "Disabled"') == ["zoe"]
    assert listed(live, crowd, 'status = "Enabled"') == ["ana", "Bob", "dmitri"]
    cognito.admin_enable_user(UserPoolId=crowd, Username="zoe")
    assert listed(live, crowd, 'status = "Disabled"') == []

    cognito.admin_set_user_password(
        UserPoolId=crowd, Username="Bob", Password="Passw0rd!long", Permanent=True
    )
    assert listed(live, crowd, 'cognito:user_status = "CONFIRMED"') == ["Bob"]
    assert listed(live, crowd, 'cognito:user_status ^= "F"') == ["ana", "dmitri", "zoe"]

    cognito.admin_delete_user(UserPoolId=crowd, Username="dmitri")
    assert listed(live, crowd, 'name ^= "д"') == []
    assert listed(live, crowd, 'email ^= ""') == ["Bob", "ana", "zoe"]
    add_user(live, crowd, "dmitri", email="d@example.ru")
    assert listed(live, crowd, 'name ^= "д"') == []
    assert listed(live, crowd, 'email = "D@example.ru"') == ["dmitri"]


def test_pages_in_the_filtered_order(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    spellings = ["lee", "Lee", "LEE", "leeds", "Leer"]
    for n in range(23):
        add_user(live, pool_id, f"u{22 - n:02d}", family_name=spellings[n % 5])
    # Ordered by the value as stored (code points: upper case first), then by creation.
    created = [f"u{22 - n:02d}" for n in range(23)]
    by_value = sorted(created, key=lambda u: (spellings[created.index(u) % 5], created.index(u)))
    prefixed = {"Filter": 'family_name ^= "le"'}
    assert listed(live, pool_id, prefixed["Filter"]) == by_value
    for limit in (1, 4, 5, 60):
        assert every_page(live, pool_id, limit, **prefixed) == by_value
    exact = [u for u in by_value if spellings[created.index(u) % 5] in ("lee", "Lee", "LEE")]
    assert every_page(live, pool_id, 4, Filter='family_name = "LEE"') == exact
    assert every_page(live, pool_id, 6, Filter='status = "Enabled"') == created
    # Without a filter: by creation, as before.
    assert every_page(live, pool_id, 6) == created
    assert names(idp(live).list_users(UserPoolId=pool_id)) == created


def test_usernames_with_and_without_case(live: ServerProcess) -> None:
    relaxed = make_pool(live, UsernameConfiguration={"CaseSensitive": False})
    strict = make_pool(live, UsernameConfiguration={"CaseSensitive": True})
    for pool_id in (relaxed, strict):
        add_user(live, pool_id, "Alice")
        add_user(live, pool_id, "ålex")
    assert listed(live, relaxed, 'username = "ALICE"') == ["Alice"]
    assert listed(live, relaxed, 'username ^= "al"') == ["Alice"]
    assert listed(live, relaxed, 'username ^= "Å"') == ["ålex"]
    assert listed(live, strict, 'username = "ALICE"') == []
    assert listed(live, strict, 'username ^= "Al"') == ["Alice"]
    assert listed(live, strict, 'username ^= "Å"') == []
    assert listed(live, strict, 'username ^= "å"') == ["ålex"]


# --- the attributes read from the users row's columns (cognito/users/column_search.py) -------

KELVIN = "\u212a"  # KELVIN SIGN: lower case "k", which LOWER leaves alone
DOTTED_I = "\u0130"  # lower case "i" + U+0307


def test_usernames_whose_lower_case_is_ascii(live: ServerProcess) -> None:
    relaxed = make_pool(live, UsernameConfiguration={"CaseSensitive": False})
    strict = make_pool(live, UsernameConfiguration={"CaseSensitive": True})
    for pool_id in (relaxed, strict):
        for username in (f"{KELVIN}elvin", "kate", f"{DOTTED_I}zmir", "ivy", "Ian"):
            add_user(live, pool_id, username)
    assert listed(live, relaxed, 'username = "KELVIN"') == [f"{KELVIN}elvin"]
    assert listed(live, relaxed, 'username ^= "k"') == ["kate", f"{KELVIN}elvin"]
    assert listed(live, relaxed, 'username ^= "i"') == ["Ian", "ivy", f"{DOTTED_I}zmir"]
    assert listed(live, relaxed, 'username = "izmir"') == []
    assert listed(live, relaxed, 'username = "i\u0307ZMIR"') == [f"{DOTTED_I}zmir"]
    assert listed(live, relaxed, f'username ^= "{DOTTED_I}"') == [f"{DOTTED_I}zmir"]
    assert listed(live, relaxed, 'username ^= "\u00e5"') == []
    for limit in (1, 2):
        pages = every_page(live, relaxed, limit, Filter='username ^= "I"')
        assert pages == ["Ian", "ivy", f"{DOTTED_I}zmir"]
        assert every_page(live, relaxed, limit, Filter='username ^= "\u0130"') == [
            f"{DOTTED_I}zmir"
        ]
    assert listed(live, strict, 'username ^= "k"') == ["kate"]
    assert listed(live, strict, 'username = "kelvin"') == []
    assert listed(live, strict, f'username = "{KELVIN}elvin"') == [f"{KELVIN}elvin"]
    assert listed(live, strict, 'username ^= "I"') == ["Ian"]
    assert listed(live, strict, 'username ^= "i"') == ["ivy"]
    assert every_page(live, strict, 1, Filter='username ^= ""') == [
        "Ian",
        "ivy",
        "kate",
        f"{DOTTED_I}zmir",
        f"{KELVIN}elvin",
    ]


def test_columns_page_in_the_filtered_order(live: ServerProcess) -> None:
    relaxed = make_pool(live, UsernameConfiguration={"CaseSensitive": False})
    strict = make_pool(live)
    cognito = idp(live)
    # Created in this order, which is not the usernames' order.
    created = [f"{'uU'[n % 2]}{22 - n:02d}" for n in range(23)]
    confirmed = created[::3]
    disabled = created[1::4]
    for pool_id in (relaxed, strict):
        for username in created:
            add_user(live, pool_id, username)
        for username in confirmed:
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=username, Password="Passw0rd!long", Permanent=True
            )
        for username in disabled:
            cognito.admin_disable_user(UserPoolId=pool_id, Username=username)
    forced = [u for u in created if u not in confirmed]
    enabled = [u for u in created if u not in disabled]
    for pool_id in (relaxed, strict):
        every = idp(live).list_users(UserPoolId=pool_id)["Users"]
        subs = {
            user["Username"]: next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
            for user in every
        }
        by_sub = sorted(created, key=subs.__getitem__)
        first = subs[created[5]][0]
        for limit in (1, 4, 7, 60):
            for expression, expected in (
                ('status ^= ""', disabled + enabled),
                ('status = "Enabled"', enabled),
                ('status ^= "D"', disabled),
                ('cognito:user_status ^= ""', confirmed + forced),
                ('cognito:user_status ^= "c"', confirmed),
                ('cognito:user_status = "force_change_PASSWORD"', forced),
                ('sub ^= ""', by_sub),
                (f'sub ^= "{first.upper()}"', [u for u in by_sub if subs[u][0] == first]),
                ('username ^= ""', sorted(created)),
            ):
                assert every_page(live, pool_id, limit, Filter=expression) == expected, expression
    uppers = sorted(u for u in created if u.startswith("U"))
    assert every_page(live, strict, 3, Filter='username ^= "U"') == uppers
    assert every_page(live, strict, 3, Filter='username ^= "u1"') == sorted(
        u for u in created if u.startswith("u1")
    )
    assert every_page(live, relaxed, 3, Filter='username ^= "u1"') == sorted(
        u for u in created if u.lower().startswith("u1")
    )
    assert every_page(live, relaxed, 1, Filter='username = "u05"') == ["U05"]
    assert listed(live, strict, 'username = "u05"') == []


def test_a_token_poolmail_did_not_issue(live: ServerProcess, crowd: str) -> None:
    forged = base64.urlsafe_b64encode(json.dumps(["a", "not a time", "b"]).encode()).decode()
    for extra in ({}, {"Filter": 'email ^= "a"'}):
        with pytest.raises(ClientError) as raised:
            idp(live).list_users(UserPoolId=crowd, PaginationToken=forged, **extra)
        error = raised.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "InvalidParameterException",
            "Invalid pagination token.",
        )


# --- migration 12: users stored before the index ----------------------------------------

_POOL_COLUMNS = "id, account, region, name, created_at, modified_at, data"
_USER_COLUMNS = (
    "pool_id, username, sub, status, enabled, email, phone, preferred_username, "
    "created_at, modified_at, data"
)


def _store_of(server: ServerProcess) -> Database:
    option, where = server.args[0], server.args[1]
    if option == "--data-dir":
        return open_database(data_dir=where)
    return open_database(database_url=where)


@pytest.fixture
def version_11(live: ServerProcess, tmp_path: Path) -> Iterator[list[str]]:
    """Server options for an empty database of the live server's kind, at version 11."""
    if live.args[0] == "--data-dir":
        db: Database = SqliteDatabase(str(tmp_path / "poolmail.sqlite3"))
        migrate(db, MIGRATIONS[:11])
        db.close()
        yield ["--data-dir", str(tmp_path)]
        return
    from poolmail.store.postgres import PostgresDatabase

    with fresh_database() as url:
        db = PostgresDatabase(url)
        migrate(db, MIGRATIONS[:11])
        db.close()
        yield ["--database-url", url]


def test_migration_12_indexes_the_users_already_there(
    live: ServerProcess, crowd: str, version_11: list[str]
) -> None:
    idp(live).admin_disable_user(UserPoolId=crowd, Username="Bob")
    zoe = sub_of(live, crowd, "zoe")
    checks = [expression for expression, _ in FILTERS]
    checks += ['status = "Disabled"', f'sub = "{zoe.upper()}"']
    expected = {expression: listed(live, crowd, expression) for expression in checks}
    assert expected['status = "Disabled"'] == ["Bob"]
    # The rows as a poolmail of version 11 would have them, copied into such a database.
    source = _store_of(live)
    with source.transaction(readonly=True) as tx:
        pool = tx.fetchone(f"SELECT {_POOL_COLUMNS} FROM user_pools WHERE id = ?", (crowd,))
        users = tx.fetchall(f"SELECT {_USER_COLUMNS} FROM users WHERE pool_id = ?", (crowd,))
    source.close()
    assert pool is not None and len(users) == len(CROWD)
    target = open_database_at_11(version_11)
    with target.transaction() as tx:
        tx.execute(f"INSERT INTO user_pools ({_POOL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", pool)
        for row in users:
            tx.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        assert tx.fetchone("SELECT MAX(version) FROM schema_version") == (11,)
    target.close()
    upgraded = ServerProcess(version_11).start()
    try:
        answers = {expression: listed(upgraded, crowd, expression) for expression in checks}
        assert answers == expected
        # Written from then on as by any other poolmail.
        idp(upgraded).admin_update_user_attributes(
            UserPoolId=crowd, Username="zoe", UserAttributes=[{"Name": "name", "Value": "Zed"}]
        )
        assert listed(upgraded, crowd, 'name = "zed"') == ["zoe"]
    finally:
        upgraded.stop()


def open_database_at_11(options: list[str]) -> Database:
    """The version-11 database ``options`` name, opened without migrating it further."""
    if options[0] == "--data-dir":
        return SqliteDatabase(str(Path(options[1]) / "poolmail.sqlite3"))
    from poolmail.store.postgres import PostgresDatabase

    return PostgresDatabase(options[1])
