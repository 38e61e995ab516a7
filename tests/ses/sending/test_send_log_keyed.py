"""Migration 18: the SES sending log (`ses_sends`) kept in its primary key's B-tree on
SQLite (WITHOUT ROWID, keyed by account, region, time and message id); and a send's one
read of its account's limits and running total (`quota.standing`), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from poolmail.config import Settings
from poolmail.ses.account import quota
from poolmail.store import Database
from poolmail.store.migrations import MIGRATIONS, migrate
from poolmail.store.sqlite import SqliteDatabase

ACCOUNT = "123456789012"
OTHER = "210987654321"
REGION = "us-east-1"
T0 = 1_750_000_000.0
SETTINGS = Settings(ses_sandbox=False, ses_max_24_hour_send=10, ses_max_send_rate=1000)


def _reserve(db: Database, now: float, recipients: int, message_id: str | None) -> str | None:
    try:
        with db.transaction(lock=quota.lock_name(ACCOUNT, REGION)) as tx:
            quota.reserve(
                tx,
                SETTINGS,
                ACCOUNT,
                REGION,
                now,
                recipients=recipients,
                quota_recipients=recipients,
                message_id=message_id,
            )
    except quota.QuotaExceeded as exceeded:
        return exceeded.reason
    return None


def _sums(db: Database, now: float) -> tuple[int, int, bool]:
    with db.transaction(readonly=True) as tx:
        limits = quota.Limits(True, True, 10, 1000)
        return (
            quota.sent_last_24_hours(tx, ACCOUNT, REGION, now),
            quota.sent_last_24_hours(tx, OTHER, REGION, now),
            quota.rate_exceeded(tx, ACCOUNT, REGION, now, 998, limits),
        )


def test_the_log_before_migration_18_counts_the_same_after_it(unmigrated: Database) -> None:
    db = unmigrated
    assert migrate(db, MIGRATIONS[:17]) == list(range(1, 18))
    rows = [
        (ACCOUNT, T0 - 90_000, 2, 2),  # out of the daily window
        (ACCOUNT, T0 - 0.5, 1, 1),
        (ACCOUNT, T0 - 0.5, 1, 1),  # the same time twice: rowids told them apart
        (ACCOUNT, T0 - 0.2, 3, 0),  # simulator addresses only
        (OTHER, T0 - 0.3, 4, 4),
    ]
    with db.transaction() as tx:
        for account, at, count, counted in rows:
            tx.execute(
                "INSERT INTO ses_sends (account, region, sent_at, recipients, "
                "quota_recipients) VALUES (?, ?, ?, ?, ?)",
                (account, REGION, at, count, counted),
            )
        for account, total in ((ACCOUNT, 4), (OTHER, 4)):
            tx.execute(
                "INSERT INTO ses_send_totals (account, region, quota_recipients) VALUES (?, ?, ?)",
                (account, REGION, total),
            )
    before = _sums(db, T0)
    assert before == (2, 4, True)
    assert migrate(db, MIGRATIONS[:18]) == [18]
    assert _sums(db, T0) == before
    with db.transaction(readonly=True) as tx:
        kept = tx.fetchall(
            "SELECT account, sent_at, recipients, quota_recipients FROM ses_sends "
            "ORDER BY account, sent_at, recipients"
        )
    assert sorted((a, float(t), int(r), int(q)) for a, t, r, q in kept) == sorted(
        (a, t, r, q) for a, t, r, q in rows
    )
    if isinstance(db, SqliteDatabase):
        with db.transaction(readonly=True) as tx:
            sql = tx.fetchone("SELECT sql FROM sqlite_master WHERE name = 'ses_sends'")
            indexes = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ses_sends'"
            )
            plan = tx.fetchall(
                "EXPLAIN QUERY PLAN SELECT COALESCE(SUM(recipients), 0) FROM ses_sends "
                "WHERE account = ? AND region = ? AND sent_at > ?",
                (ACCOUNT, REGION, T0 - 1),
            )
        assert sql is not None and "WITHOUT ROWID" in str(sql[0])
        # The primary key's own B-tree is the table: no rowid tree, no other index.
        assert [str(name) for (name,) in indexes] == []
        assert "USING PRIMARY KEY" in str(plan[-1][-1])
    # Sends after it: the daily total goes on from the rows kept, and two sends of one
    # time, each with its message id, are two rows; the expired row is dropped as before.
    assert _reserve(db, T0 + 1, 3, "m-1") is None
    assert _reserve(db, T0 + 1, 3, "m-2") is None
    assert _reserve(db, T0 + 1, 3, None) == "daily"
    assert _sums(db, T0 + 1)[0] == 8
    with db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_sends WHERE account = ? AND sent_at = ?",
            (ACCOUNT, T0 + 1),
        )
        expired = tx.fetchone(
            "SELECT COUNT(*) FROM ses_sends WHERE sent_at <= ?", (T0 + 1 - quota.DAY_SECONDS,)
        )
    assert row is not None and int(row[0]) == 2
    assert expired is not None and int(expired[0]) == 0


@pytest.fixture
def db(unmigrated: Database) -> Database:
    migrate(unmigrated, MIGRATIONS[:18])
    return unmigrated


def test_standing_reads_what_limits_and_reserve_read(db: Database) -> None:
    with db.transaction(lock=quota.lock_name(ACCOUNT, REGION)) as tx:
        first = quota.standing(tx, SETTINGS, ACCOUNT, REGION)
        # The account's first look made its row, as `limits` does.
        assert tx.fetchone(
            "SELECT 1 FROM ses_accounts WHERE account = ? AND region = ?", (ACCOUNT, REGION)
        )
        assert first.limits == quota.limits(tx, SETTINGS, ACCOUNT, REGION)
        assert first.totals == (None, None, None, None, None)
    for moment, count in ((T0, 2), (T0 + 0.4, 1), (T0 + 1.2, 3)):
        assert _reserve(db, moment, count, f"m-{moment}") is None
    with db.transaction(lock=quota.lock_name(ACCOUNT, REGION)) as tx:
        tx.execute(
            "UPDATE ses_accounts SET data = ? WHERE account = ? AND region = ?",
            ('{"ProductionAccessEnabled": false, "SendingEnabled": false}', ACCOUNT, REGION),
        )
        found = quota.standing(tx, SETTINGS, ACCOUNT, REGION)
        separate = tx.fetchone(quota._TOTALS, (ACCOUNT, REGION, ACCOUNT, REGION))
        assert found.limits == quota.limits(tx, SETTINGS, ACCOUNT, REGION)
        assert found.limits == quota.Limits(False, False, 200, 1)
    assert separate is not None
    assert found.totals == tuple(separate)
    assert int(found.totals[0]) == 6 and float(found.totals[4]) == T0
    # Counting with the totals read first: the sends a day old are dropped from the log
    # and the total (3 of 6), the new one counted.
    with db.transaction(lock=quota.lock_name(ACCOUNT, REGION)) as tx:
        early = quota.standing(tx, SETTINGS, ACCOUNT, REGION)
        quota.reserve(
            tx,
            SETTINGS,
            ACCOUNT,
            REGION,
            T0 + 86_400.8,
            recipients=1,
            quota_recipients=1,
            quota=quota.limits_of({"ProductionAccessEnabled": True}, SETTINGS),
            totals=early.totals,
            message_id="late",
        )
        assert quota.sent_last_24_hours(tx, ACCOUNT, REGION, T0 + 86_400.8) == 4
