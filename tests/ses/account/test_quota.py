"""quota.py against real databases: the account's limits, the rolling daily quota, the
per-second rate, simulator recipients, and exactness under concurrent senders."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from poolmail.config import Settings
from poolmail.ses.account import quota
from poolmail.ses.sending import rate_bound
from poolmail.store import Database, migrations, open_database
from tests.support.postgres import fresh_database

ACCOUNT = "123456789012"
REGION = "us-east-1"
T0 = 1_700_000_000.0
SANDBOX = Settings()
PRODUCTION = Settings(ses_sandbox=False, ses_max_24_hour_send=5, ses_max_send_rate=1000)
UNLIMITED = Settings(ses_sandbox=False, ses_max_24_hour_send=10**9, ses_max_send_rate=10**6)

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


def _exact_and_bound(db: Database, now: float) -> tuple[int, int | None]:
    with db.transaction() as tx:
        exact = tx.fetchone(
            "SELECT COALESCE(SUM(recipients), 0) FROM ses_sends "
            "WHERE account = ? AND region = ? AND sent_at > ?",
            (ACCOUNT, REGION, now - quota.RATE_WINDOW_SECONDS),
        )
        state = tx.fetchone(
            "SELECT t.rate_second, t.rate_current, t.rate_previous FROM ses_send_totals t "
            "WHERE t.account = ? AND t.region = ?",
            (ACCOUNT, REGION),
        )
    assert exact is not None
    return int(exact[0]), None if state is None else rate_bound.bound(state, now)


def test_the_rate_bound_never_counts_less_than_the_log(db: Database) -> None:
    # Sends at uneven steps, some stamped behind the latest (a replica's slower clock),
    # some of simulator addresses only; after each, the bound read at moments around it
    # (when it can tell) is at least the exact sum the rate check would read.
    rng = random.Random(15)
    moment = T0
    told = 0
    for _ in range(300):
        moment += rng.choice([0.0, 0.01, 0.3, 0.7, 0.99, 1.0, 1.5, 2.2])
        stamp = moment - rng.choice([0.0, 0.0, 0.0, 0.4, 1.3])
        count = rng.randint(1, 4)
        assert reserve(db, UNLIMITED, stamp, count, rng.choice([0, count])) is None
        for later in (0.0, 0.2, 0.6, 0.999, 1.0, 1.4, 2.0, 3.5):
            exact, most = _exact_and_bound(db, moment + later)
            if most is not None:
                told += 1
                assert most >= exact, (moment, later, exact, most)
    assert told > 1000


def test_the_rate_is_refused_alike_with_the_bound() -> None:
    # Near the maximum the exact sum decides: 3 a second allowed, in one second and
    # across a second's boundary.
    memory = open_database(data_dir=":memory:")
    try:
        limited = dataclasses.replace(UNLIMITED, ses_max_send_rate=3)
        assert [reserve(memory, limited, T0 + 0.1 * i) for i in range(4)] == [
            None,
            None,
            None,
            "rate",
        ]
        assert reserve(memory, limited, T0 + 0.95) == "rate"
        assert reserve(memory, limited, T0 + 1.05) is None  # T0 + 0.0 left the window
        assert reserve(memory, limited, T0 + 1.08) == "rate"
        assert reserve(memory, limited, T0 + 5.0) is None
    finally:
        memory.close()


@pytest.mark.parametrize("rate", [1, 3, 7])
def test_the_rate_decides_as_the_log_alone_would(rate: int) -> None:
    # The refusals of random sends (skewed stamps included) against the rule applied to
    # the accepted sends themselves: the bound may spare the sum, never change the answer.
    rng = random.Random(rate)
    settings = dataclasses.replace(UNLIMITED, ses_max_send_rate=rate)
    memory = open_database(data_dir=":memory:")
    accepted: list[tuple[float, int]] = []
    try:
        moment = T0
        for _ in range(400):
            moment += rng.choice([0.0, 0.05, 0.2, 0.5, 0.95, 1.0, 1.7])
            stamp = moment - rng.choice([0.0, 0.0, 0.3, 1.2])
            count = rng.randint(1, 3)
            recent = sum(n for at, n in accepted if at > stamp - quota.RATE_WINDOW_SECONDS)
            expected = "rate" if recent > 0 and recent + count > rate else None
            assert reserve(memory, settings, stamp, count) == expected
            if expected is None:
                accepted.append((stamp, count))
    finally:
        memory.close()


def test_migration_15_bounds_the_sends_before_it(unmigrated: Database) -> None:
    old = [m for m in migrations.MIGRATIONS if m.version < 15]
    db = unmigrated
    migrations.migrate(db, old)
    with db.transaction() as tx:
        for at, count, counted in [(T0 - 0.5, 2, 2), (T0 - 0.2, 3, 0), (T0 - 90_000, 1, 1)]:
            tx.execute(
                "INSERT INTO ses_sends (account, region, sent_at, recipients, "
                "quota_recipients) VALUES (?, ?, ?, ?, ?)",
                (ACCOUNT, REGION, at, count, counted),
            )
        tx.execute(
            "INSERT INTO ses_send_totals (account, region, quota_recipients) VALUES (?, ?, 3)",
            (ACCOUNT, REGION),
        )
        # Sends of simulator addresses only: no total row before migration 15.
        tx.execute(
            "INSERT INTO ses_sends (account, region, sent_at, recipients, "
            "quota_recipients) VALUES ('210987654321', ?, ?, 4, 0)",
            (REGION, T0 - 0.3),
        )
    migrations.migrate(db)
    for account in (ACCOUNT, "210987654321"):
        with db.transaction() as tx:
            state = tx.fetchone(
                "SELECT rate_second, rate_current, rate_previous, quota_recipients "
                "FROM ses_send_totals WHERE account = ? AND region = ?",
                (account, REGION),
            )
        assert state is not None
        assert int(state[0]) == int(T0 - 1)
        for later in (0.0, 0.3, 0.9):
            most = rate_bound.bound(state[:3], T0 + later)
            assert most is not None and most >= (5 if account == ACCOUNT else 4)
    assert sent(db, T0) == 2


@pytest.mark.postgres
def test_a_prune_waits_for_the_sender_counting_that_account() -> None:
    # A sender reads its running total early (quota.standing) and counts under the
    # account's lock: a prune taking that account's old rows in between would leave the
    # sender's count high by what it took. On PostgreSQL (replicas write at once) the prune
    # waits for the lock; SQLite's one writer makes them take turns anyway.
    with fresh_database() as url:
        sender, pruner = open_database(database_url=url), open_database(database_url=url)
        try:
            assert reserve(sender, PRODUCTION, T0) is None
            holding, pruned = threading.Event(), threading.Event()
            release = threading.Event()

            def send_slowly() -> None:
                with sender.transaction() as tx:
                    tx.lock(quota.lock_name(ACCOUNT, REGION))
                    holding.set()
                    release.wait(10)

            def prune() -> None:
                with pruner.transaction() as tx:
                    quota.prune(tx, T0 + 86_400)
                pruned.set()

            threads = [threading.Thread(target=send_slowly), threading.Thread(target=prune)]
            threads[0].start()
            assert holding.wait(10)
            threads[1].start()
            assert not pruned.wait(0.5), "the prune did not wait for the account's lock"
            release.set()
            assert pruned.wait(10)
            for thread in threads:
                thread.join(10)
            with sender.transaction() as tx:
                assert tx.fetchall("SELECT COUNT(*) FROM ses_sends") == [(0,)]
        finally:
            sender.close()
            pruner.close()
