"""quota.py against real databases: the account's limits, the rolling daily quota, the
per-second rate, simulator recipients, and exactness under concurrent senders."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from poolmail.config import Settings
from poolmail.ses import quota
from poolmail.store import Database, open_database
from tests.support.postgres import fresh_database

ACCOUNT = "123456789012"
REGION = "us-east-1"
T0 = 1_700_000_000.0
SANDBOX = Settings()
PRODUCTION = Settings(ses_sandbox=False, ses_max_24_hour_send=5, ses_max_send_rate=1000)

BACKENDS = [
    pytest.param("sqlite-memory"),
    pytest.param("sqlite-file"),
    pytest.param("postgres", marks=pytest.mark.postgres),
]

# Opens one more handle on the test's database: a second replica on the same state.
Opener = Callable[[], Database]


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    opened: list[Database] = []
    memory: list[Database] = []

    def keep(db: Database) -> Database:
        opened.append(db)
        return db

    if request.param == "postgres":
        with fresh_database() as url:
            yield lambda: keep(open_database(database_url=url))
            for db in opened:
                db.close()
        return
    if request.param == "sqlite-memory":
        # An in-memory database has one handle only; "another replica" is the same one.
        def same() -> Database:
            if not memory:
                memory.append(keep(open_database(data_dir=":memory:")))
            return memory[0]

        yield same
    else:
        yield lambda: keep(open_database(data_dir=str(tmp_path / "data")))
    for db in opened:
        db.close()


@pytest.fixture
def db(opener: Opener) -> Database:
    return opener()


def reserve(
    db: Database,
    settings: Settings,
    now: float,
    recipients: int = 1,
    quota_recipients: int | None = None,
    *,
    account: str = ACCOUNT,
    region: str = REGION,
) -> str | None:
    """Reserve as the sender does; None when accepted, else the refusal's reason."""
    try:
        with db.transaction(lock=quota.lock_name(account, region)) as tx:
            quota.reserve(
                tx,
                settings,
                account,
                region,
                now,
                recipients=recipients,
                quota_recipients=recipients if quota_recipients is None else quota_recipients,
            )
    except quota.QuotaExceeded as exceeded:
        return exceeded.reason
    return None


def sent(db: Database, now: float, account: str = ACCOUNT, region: str = REGION) -> int:
    with db.transaction() as tx:
        return quota.sent_last_24_hours(tx, account, region, now)


def limits(db: Database, settings: Settings, account: str = ACCOUNT) -> quota.Limits:
    with db.transaction() as tx:
        return quota.limits(tx, settings, account, REGION)


def test_a_new_account_is_sandboxed_as_the_settings_say(db: Database) -> None:
    assert limits(db, SANDBOX) == quota.Limits(False, True, 200, 1)
    production = Settings(ses_sandbox=False, ses_max_24_hour_send=1000, ses_max_send_rate=7)
    assert limits(db, production, account="111122223333") == quota.Limits(True, True, 1000, 7)


def test_the_first_read_fixes_the_accounts_state(db: Database) -> None:
    assert not limits(db, SANDBOX).production_access
    # Restarted with --ses-sandbox off, an account seen before stays where it was.
    assert not limits(db, PRODUCTION).production_access
    with db.transaction() as tx:
        assert tx.fetchall("SELECT account, region FROM ses_accounts") == [(ACCOUNT, REGION)]


def test_sending_enabled_follows_the_stored_state(db: Database) -> None:
    with db.transaction() as tx:
        assert quota.sending_enabled(tx, SANDBOX, ACCOUNT, REGION)
        data = quota.load_account(tx, SANDBOX, ACCOUNT, REGION)
        quota.save_account(tx, ACCOUNT, REGION, {**data, "SendingEnabled": False})
    assert limits(db, SANDBOX).sending_enabled is False


def test_the_daily_quota_is_a_rolling_24_hours(db: Database) -> None:
    for offset in range(5):
        assert reserve(db, PRODUCTION, T0 + offset * 3600) is None
    assert sent(db, T0 + 5 * 3600) == 5
    assert reserve(db, PRODUCTION, T0 + 5 * 3600) == "daily"
    # Just before the first send turns 24 hours old it still counts...
    assert reserve(db, PRODUCTION, T0 + 86399.5) == "daily"
    # ...and once it has, exactly one recipient's room opens again.
    assert reserve(db, PRODUCTION, T0 + 86400) is None
    assert reserve(db, PRODUCTION, T0 + 86400.5) == "daily"
    assert sent(db, T0 + 86400.5) == 5
    assert sent(db, T0 + 3 * 86400) == 0


def test_recipients_count_not_messages(db: Database) -> None:
    assert reserve(db, PRODUCTION, T0, recipients=3) is None
    assert reserve(db, PRODUCTION, T0 + 10, recipients=3) == "daily"
    assert reserve(db, PRODUCTION, T0 + 20, recipients=2) is None
    assert sent(db, T0 + 20) == 5


def test_the_rate_counts_the_last_second(db: Database) -> None:
    assert reserve(db, SANDBOX, T0) is None
    assert reserve(db, SANDBOX, T0 + 0.5) == "rate"
    assert reserve(db, SANDBOX, T0 + 1.0) is None  # the window (now-1, now] left T0 out
    assert sent(db, T0 + 1.0) == 2


def test_a_message_at_an_idle_moment_may_exceed_the_rate(db: Database) -> None:
    # A sandboxed account (1 per second) can still mail two recipients at once...
    assert reserve(db, SANDBOX, T0, recipients=2) is None
    # ...but nothing more that second.
    assert reserve(db, SANDBOX, T0 + 0.9) == "rate"
    fast = dataclasses.replace(PRODUCTION, ses_max_send_rate=3)
    assert reserve(db, fast, T0, recipients=1, account="111122223333") is None
    assert reserve(db, fast, T0 + 0.1, recipients=2, account="111122223333") is None
    assert reserve(db, fast, T0 + 0.2, recipients=1, account="111122223333") == "rate"


def test_simulator_recipients_count_toward_the_rate_only(db: Database) -> None:
    assert reserve(db, SANDBOX, T0, recipients=1, quota_recipients=0) is None
    assert sent(db, T0) == 0
    assert reserve(db, SANDBOX, T0 + 0.5, recipients=1, quota_recipients=0) == "rate"
    tight = dataclasses.replace(PRODUCTION, ses_max_24_hour_send=1)
    other = "111122223333"
    assert reserve(db, tight, T0, recipients=1, account=other) is None
    assert reserve(db, tight, T0 + 5, recipients=1, account=other) == "daily"
    # A spent daily quota leaves the simulator usable: it never counted toward it.
    assert reserve(db, tight, T0 + 10, recipients=2, quota_recipients=0, account=other) is None
    assert sent(db, T0 + 10, account=other) == 1


def test_the_refusals_carry_awss_messages(db: Database) -> None:
    assert reserve(db, SANDBOX, T0) is None
    with pytest.raises(quota.QuotaExceeded) as rate, db.transaction() as tx:
        quota.reserve(tx, SANDBOX, ACCOUNT, REGION, T0, recipients=1, quota_recipients=1)
    assert (rate.value.reason, rate.value.message) == ("rate", "Maximum sending rate exceeded.")
    assert str(rate.value) == "Maximum sending rate exceeded."
    assert quota.QuotaExceeded("daily").message == "Daily message quota exceeded."


def test_accounts_and_regions_are_counted_apart(db: Database) -> None:
    assert reserve(db, SANDBOX, T0) is None
    assert reserve(db, SANDBOX, T0, account="111122223333") is None
    assert reserve(db, SANDBOX, T0, region="eu-west-1") is None
    assert sent(db, T0) == sent(db, T0, account="111122223333") == 1
    assert sent(db, T0, region="eu-west-1") == 1
    assert quota.lock_name(ACCOUNT, REGION) != quota.lock_name(ACCOUNT, "eu-west-1")
    assert quota.lock_name(ACCOUNT, REGION) != quota.lock_name("111122223333", REGION)


def test_old_sends_are_pruned(db: Database) -> None:
    assert reserve(db, SANDBOX, T0) is None
    assert reserve(db, SANDBOX, T0, account="111122223333") is None
    assert reserve(db, SANDBOX, T0 + 86400) is None  # drops this account's old row
    with db.transaction() as tx:
        assert tx.fetchall("SELECT COUNT(*) FROM ses_sends") == [(2,)]
        assert quota.prune(tx, T0 + 86400) == 1
        assert tx.fetchall("SELECT account, sent_at FROM ses_sends") == [(ACCOUNT, T0 + 86400)]


def test_the_running_total_always_equals_the_log(db: Database) -> None:
    # The daily figure is a running total of the log's rows: after sends, windows that
    # slide past them, a prune and reads in between, it still says what summing the log
    # over the window says, and what the log holds.
    settings = Settings(ses_sandbox=False, ses_max_24_hour_send=10**6, ses_max_send_rate=10**6)

    def summed(now: float) -> int:
        with db.transaction(readonly=True) as tx:
            row = tx.fetchone(
                "SELECT COALESCE(SUM(quota_recipients), 0) FROM ses_sends "
                "WHERE account = ? AND region = ? AND sent_at > ?",
                (ACCOUNT, REGION, now - quota.DAY_SECONDS),
            )
        assert row is not None
        return int(row[0])

    moments = [T0 + offset for offset in (0, 10, 3600, 50_000, 86_405, 90_000, 200_000)]
    for index, moment in enumerate(moments):
        assert (
            reserve(db, settings, moment, recipients=index + 2, quota_recipients=index + 1) is None
        )
        assert sent(db, moment) == summed(moment)
        # A read a day later, before any send or prune drops the old rows.
        with db.transaction(readonly=True) as tx:
            later = quota.sent_last_24_hours(tx, ACCOUNT, REGION, moment + 86_400)
        assert later == summed(moment + 86_400)
    with db.transaction() as tx:
        assert quota.prune(tx, T0 + 300_000) == 1
        rows = tx.fetchone("SELECT COALESCE(SUM(quota_recipients), 0) FROM ses_sends")
        total = tx.fetchone("SELECT quota_recipients FROM ses_send_totals")
    assert rows is not None and total is not None and rows[0] == total[0] == 0
    assert sent(db, T0 + 300_000) == 0


@pytest.mark.parametrize("replicas", [1, 2])
def test_concurrent_senders_never_exceed_the_daily_quota(opener: Opener, replicas: int) -> None:
    settings = Settings(ses_sandbox=False, ses_max_24_hour_send=37, ses_max_send_rate=10**6)
    databases = [opener() for _ in range(replicas)]
    start = threading.Barrier(8)

    def sender(worker: int) -> list[str | None]:
        db = databases[worker % replicas]
        start.wait()
        return [reserve(db, settings, T0 + worker + attempt / 100) for attempt in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = [o for result in pool.map(sender, range(8)) for o in result]
    assert outcomes.count(None) == 37
    assert outcomes.count("daily") == 80 - 37
    assert sent(databases[0], T0 + 100) == 37


@pytest.mark.parametrize("replicas", [1, 2])
def test_concurrent_senders_never_exceed_the_rate(opener: Opener, replicas: int) -> None:
    settings = Settings(ses_sandbox=False, ses_max_24_hour_send=1000, ses_max_send_rate=5)
    databases = [opener() for _ in range(replicas)]
    start = threading.Barrier(8)

    def sender(worker: int) -> list[str | None]:
        db = databases[worker % replicas]
        start.wait()
        return [reserve(db, settings, T0) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = [o for result in pool.map(sender, range(8)) for o in result]
    assert outcomes.count(None) == 5
    assert outcomes.count("rate") == 24 - 5
