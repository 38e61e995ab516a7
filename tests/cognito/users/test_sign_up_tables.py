"""Migration 19: one-time codes and the default sender's log kept in their primary keys'
B-trees on SQLite (WITHOUT ROWID); codes and logged sends stored before it read back and
count the same, and two mails of one account at one time both count, on both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from poolmail.cognito.messaging.delivery import CognitoEmail, default_sender_lock, send_by_default
from poolmail.cognito.users import codes
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Database
from poolmail.store.migrations import MIGRATIONS, SIGN_UP_TABLES, migrate
from poolmail.store.sqlite import SqliteDatabase

NOW = 1_750_000_000.0
DAY = 86400.0
ACCOUNT = "123456789012"
VERSION = SIGN_UP_TABLES.version


class _FixedClock:
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.at, dt.UTC)


def _context(db: Database, clock: _FixedClock, limit: int) -> RequestContext:
    return RequestContext(
        service="cognito-idp",
        operation="SignUp",
        account_id=ACCOUNT,
        region="us-east-1",
        request_id="r",
        signed=False,
        db=db,
        clock=clock,
        settings=Settings(cognito_default_daily_email_limit=limit),
    )


def _mail(number: int) -> CognitoEmail:
    return CognitoEmail(
        f"user{number}@example.com",
        "Your verification code",
        f"Your code is {number:06d}",
        "cognito-sign-up",
        "us-east-1_pool",
        f"user{number}",
        f"{number:06d}",
    )


def _send(ctx: RequestContext, number: int) -> bool:
    """Whether the default sender took mail ``number`` (False: the daily cap refused it)."""
    with ctx.db.transaction(lock=default_sender_lock(ACCOUNT)) as tx:
        return send_by_default(tx, ctx, {}, _mail(number)).raw is not None


def test_codes_and_logged_sends_carry_over(unmigrated: Database) -> None:
    db = unmigrated
    assert migrate(db, MIGRATIONS[: VERSION - 1]) == list(range(1, VERSION))
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO user_codes (pool_id, username, purpose, code, created_at, "
            "expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("us-east-1_pool", "ann", codes.SIGN_UP, "123456", NOW, NOW + DAY, '{"a": "email"}'),
        )
        # Two sends logged at one time, and one a day older than the rest.
        for at in (NOW - 10, NOW - 10, NOW - 2 * DAY):
            tx.execute(
                "INSERT INTO cognito_default_sends (account, region, pool_id, sent_at) "
                "VALUES (?, 'us-east-1', 'us-east-1_pool', ?)",
                (ACCOUNT, at),
            )
        tx.execute("INSERT INTO cognito_default_totals (account, sends) VALUES (?, 3)", (ACCOUNT,))
    assert migrate(db, MIGRATIONS[:VERSION]) == [VERSION]
    clock = _FixedClock(NOW)
    ctx = _context(db, clock, limit=4)
    with db.transaction() as tx:
        assert codes.check(tx, ctx, "us-east-1_pool", "ann", codes.SIGN_UP, "123456") == {
            "a": "email"
        }
        with pytest.raises(AwsError) as mismatch:
            codes.check(tx, ctx, "us-east-1_pool", "ann", codes.SIGN_UP, "654321")
    assert mismatch.value.code == "CodeMismatchException"
    # The day-old send leaves the window at the next mail: 2 carried over + 2 new = 4.
    assert [_send(ctx, number) for number in range(3)] == [True, True, False]
    with db.transaction(readonly=True) as tx:
        total = tx.fetchone(
            "SELECT sends FROM cognito_default_totals WHERE account = ?", (ACCOUNT,)
        )
        logged = tx.fetchall(
            "SELECT sent_at FROM cognito_default_sends WHERE account = ? ORDER BY sent_at",
            (ACCOUNT,),
        )
    assert total is not None and total[0] == 4
    assert [row[0] for row in logged] == [NOW - 10, NOW - 10, NOW, NOW]
    # Both carried-over sends of one time leave the window together, a day after it.
    clock.at = NOW - 10 + DAY + 1
    assert [_send(ctx, number) for number in range(3, 6)] == [True, True, False]
    if isinstance(db, SqliteDatabase):
        with db.transaction(readonly=True) as tx:
            tables = tx.fetchall(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('user_codes', 'cognito_default_sends') ORDER BY name"
            )
            indexes = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('user_codes', 'cognito_default_sends')"
            )
            plan = tx.fetchall(
                "EXPLAIN QUERY PLAN DELETE FROM cognito_default_sends "
                "WHERE account = ? AND sent_at <= ?",
                (ACCOUNT, NOW),
            )
        assert [name for name, _ in tables] == ["cognito_default_sends", "user_codes"]
        assert all(sql.rstrip().endswith("WITHOUT ROWID") for _, sql in tables)
        assert indexes == []
        assert [row[3] for row in plan] == [
            "SEARCH cognito_default_sends USING PRIMARY KEY (account=? AND sent_at<?)"
        ]


def test_mails_of_one_time_each_count(unmigrated: Database) -> None:
    """A fixed clock stamps every mail alike: the log keeps each (its key holds the
    message id), so the cap still counts them one by one."""
    db = unmigrated
    migrate(db, MIGRATIONS[:VERSION])
    ctx = _context(db, _FixedClock(NOW), limit=3)
    assert [_send(ctx, number) for number in range(4)] == [True, True, True, False]
    with db.transaction(readonly=True) as tx:
        row = tx.fetchone("SELECT COUNT(*) FROM cognito_default_sends")
    assert row is not None and row[0] == 3
