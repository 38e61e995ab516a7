"""An SES account's sending state as the sender sees it: sandbox or production, paused or
not, and the quotas, enforced exactly (across replicas too) from the `ses_sends` log
and its running total.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from poolmail.config import SANDBOX_MAX_24_HOUR_SEND, SANDBOX_MAX_SEND_RATE, Settings
from poolmail.ses.sending import rate_bound
from poolmail.store import Transaction

DAY_SECONDS = 86400.0
RATE_WINDOW_SECONDS = 1.0

RATE_MESSAGE = "Maximum sending rate exceeded."
DAILY_MESSAGE = "Daily message quota exceeded."

# What the sender answers while the account's sending is switched off. The codes are the
# modelled ones (v1 `AccountSendingPausedException`, v2 `SendingPausedException`). AWS
# does not publish the message for a pause the owner chose (UpdateAccountSendingEnabled
# false). When AWS pauses an account itself, it answers "Sending paused for this account.
# For more information, please check the inbox of the email address associated with your
# AWS account." (seen in GoodDollar/GoodServer#419); we choose its first sentence, as no
# enforcement mail exists to point at.
PAUSED_CODE_V1 = "AccountSendingPausedException"
PAUSED_CODE_V2 = "SendingPausedException"
PAUSED_MESSAGE = "Sending paused for this account."


@dataclass(frozen=True)
class Limits:
    production_access: bool
    sending_enabled: bool
    max_24_hour_send: int
    max_send_rate: int


class QuotaExceeded(Exception):
    """A send refused by a quota; ``message`` is AWS's text for ``reason``."""

    def __init__(self, reason: Literal["rate", "daily"]) -> None:
        self.reason: Literal["rate", "daily"] = reason
        self.message = RATE_MESSAGE if reason == "rate" else DAILY_MESSAGE
        super().__init__(self.message)


def lock_name(account: str, region: str) -> str:
    """The named lock under which every send of one account and region is counted, so
    concurrent senders (threads or replicas) check and record one after the other."""
    return f"poolmail:ses-quota:{account}:{region}"


def new_account_data(settings: Settings) -> dict[str, Any]:
    """The `ses_accounts.data` of an account/region seen for the first time.

    Keys, in AWS's names where AWS has one: ProductionAccessEnabled, SendingEnabled,
    Details (PutAccountDetails' members plus ReviewDetails{Status, CaseId}),
    ReviewRequestedAt / ReviewDecidedAt (epoch seconds), and SuppressedReasons once an
    account-level suppression setting is stored.
    """
    # A new account/region starts as `--ses-sandbox` says: sandboxed, as on AWS, or
    # with production access already granted.
    return {"ProductionAccessEnabled": not settings.ses_sandbox, "SendingEnabled": True}


def find_account(tx: Transaction, account: str, region: str) -> dict[str, Any] | None:
    """The account's state in the region, or None before anything has looked at it."""
    row = tx.fetchone(
        "SELECT data FROM ses_accounts WHERE account = ? AND region = ?", (account, region)
    )
    if row is None:
        return None
    data: dict[str, Any] = json.loads(row[0])
    return data


def load_account(tx: Transaction, settings: Settings, account: str, region: str) -> dict[str, Any]:
    """The account's state in the region; its row is created the first time it is read,
    so the state an account started with stays fixed even if the server's options
    change later."""
    select = "SELECT data FROM ses_accounts WHERE account = ? AND region = ?"
    row = tx.fetchone(select, (account, region))
    if row is None:
        # Two first readers may race; ON CONFLICT lets the loser read the winner's row.
        tx.execute(
            "INSERT INTO ses_accounts (account, region, data) VALUES (?, ?, ?) "
            "ON CONFLICT (account, region) DO NOTHING",
            (account, region, json.dumps(new_account_data(settings))),
        )
        row = tx.fetchone(select, (account, region))
        assert row is not None
    data: dict[str, Any] = json.loads(row[0])
    return data


def save_account(tx: Transaction, account: str, region: str, data: dict[str, Any]) -> None:
    """Write back a state that ``load_account`` returned (so its row exists)."""
    tx.execute(
        "UPDATE ses_accounts SET data = ? WHERE account = ? AND region = ?",
        (json.dumps(data), account, region),
    )


def limits_of(data: dict[str, Any], settings: Settings) -> Limits:
    production = bool(data.get("ProductionAccessEnabled"))
    return Limits(
        production_access=production,
        sending_enabled=bool(data.get("SendingEnabled", True)),
        max_24_hour_send=settings.ses_max_24_hour_send if production else SANDBOX_MAX_24_HOUR_SEND,
        max_send_rate=settings.ses_max_send_rate if production else SANDBOX_MAX_SEND_RATE,
    )


def limits(tx: Transaction, settings: Settings, account: str, region: str) -> Limits:
    """Sandbox: 200 recipients a day, 1 a second; production: the server's options."""
    return limits_of(load_account(tx, settings, account, region), settings)


# The running total, the rate's bound and the log's oldest send, as ``reserve`` reads them.
_TOTALS = (
    "SELECT t.quota_recipients, "
    f"{rate_bound.COLUMNS}, "
    "(SELECT MIN(sent_at) FROM ses_sends WHERE account = ? AND region = ?) "
    "FROM (SELECT 1 AS one) AS here "
    "LEFT JOIN ses_send_totals t ON t.account = ? AND t.region = ?"
)
# The account's state with them: a send reads both, and one statement costs it less than
# two (bench/notes.md).
_STANDING = (
    "SELECT a.data, t.quota_recipients, "
    f"{rate_bound.COLUMNS}, "
    "(SELECT MIN(sent_at) FROM ses_sends WHERE account = ? AND region = ?) "
    "FROM (SELECT 1 AS one) AS here "
    "LEFT JOIN ses_accounts a ON a.account = ? AND a.region = ? "
    "LEFT JOIN ses_send_totals t ON t.account = ? AND t.region = ?"
)


@dataclass(frozen=True, slots=True)
class Standing:
    """What a send reads of its account before it is counted: its limits, and the row of
    its running total that ``reserve`` takes as ``totals``."""

    limits: Limits
    totals: tuple[Any, ...]


def standing(tx: Transaction, settings: Settings, account: str, region: str) -> Standing:
    """``limits`` and the running total in one read. The total is the one ``reserve``
    would read later in the same transaction, as long as nothing counts a send between:
    the caller holds ``lock_name(account, region)``, under which every send is counted."""
    row = tx.fetchone(_STANDING, (account, region, account, region, account, region))
    assert row is not None  # one row, from `here`
    if row[0] is None:
        # The account's first look: its row is made (load_account), as `limits` does.
        return Standing(limits(tx, settings, account, region), tuple(row[1:]))
    return Standing(limits_of(json.loads(row[0]), settings), tuple(row[1:]))


def sending_enabled(tx: Transaction, settings: Settings, account: str, region: str) -> bool:
    """False once the owner switched sending off (v1 UpdateAccountSendingEnabled, v2
    PutAccountSendingAttributes): the sender must then refuse every message."""
    return limits(tx, settings, account, region).sending_enabled


def sent_last_24_hours(tx: Transaction, account: str, region: str, now: float) -> int:
    """Recipients counted against the daily quota in the rolling window (now-24h, now].

    Sends stamped after ``now`` count too: they come from a replica whose clock runs a
    little ahead, and leaving them out would let clock skew exceed the quota.

    The running total covers every row of the log; rows that aged out of the window but
    are not deleted yet (no send since, no prune) are taken off here, so the figure is
    exact in a read-only transaction too.
    """
    row = tx.fetchone(
        "SELECT COALESCE(SUM(quota_recipients), 0) FROM ses_sends "
        "WHERE account = ? AND region = ? AND sent_at <= ?",
        (account, region, now - DAY_SECONDS),
    )
    expired = int(row[0]) if row is not None else 0
    return _total(tx, account, region) - expired


def reserve(
    tx: Transaction,
    settings: Settings,
    account: str,
    region: str,
    now: float,
    *,
    recipients: int,
    quota_recipients: int,
    quota: Limits | None = None,
    check_rate: bool = True,
    totals: Sequence[Any] | None = None,
    message_id: str | None = None,
) -> None:
    """Count one message against the quotas, or raise ``QuotaExceeded`` and count nothing.

    ``check_rate`` False counts the message toward the rate without checking it: the
    caller checked it for a batch this message is part of (one bulk send call).

    ``recipients`` is every recipient (all count toward the rate); ``quota_recipients``
    leaves out mailbox-simulator addresses, which AWS does not count toward the daily
    quota. Call it inside ``db.transaction(lock=lock_name(account, region))`` so the
    check and the record are one step for every replica. ``quota`` spares reading the
    account's limits again when the caller has them, ``totals`` reading the running total
    (``Standing.totals``, read in the same transaction). ``message_id``, the counted
    message's, keys its row of the log beside the account and time (migration 18); a
    caller without one gets a random key.

    The cost does not grow with the day's volume: the daily figure is a running total
    (`ses_send_totals`, the sum of this account's `ses_sends` rows), and the rate reads
    only the last second of the log from its covering index, and only when the bound
    kept beside the total (ses/sending/rate_bound.py) comes near the maximum rate.
    """
    if quota is None:
        quota = limits(tx, settings, account, region)
    # One read for the running total, the rate's bound (ses/sending/rate_bound.py) and the log's
    # oldest row: a send's quota step was five statements, now three (two when the
    # sender read them with the account's state, ``standing``).
    row = totals
    if row is None:
        found = tx.fetchone(_TOTALS, (account, region, account, region))
        assert found is not None
        row = found
    daily = int(row[0]) if row[0] is not None else 0
    # Rows older than the daily window never count again; dropping them as we go keeps
    # the log at one day of this account's sends, and the total equal to the day's sum.
    if row[4] is not None and float(row[4]) <= now - DAY_SECONDS:
        daily -= _drop_expired(tx, account, region, now)
    # A message to simulator addresses only does not touch the daily quota, so it is not
    # refused by it either (AWS documents that the simulator doesn't count toward it).
    if quota_recipients > 0 and daily + quota_recipients > quota.max_24_hour_send:
        raise QuotaExceeded("daily")
    # Rate: the recipients already sent within the last second plus this message's may
    # not exceed the maximum rate. But a message is never refused at an idle moment, even
    # one with more recipients than the rate: otherwise a 2-recipient message could never
    # leave a sandboxed account (rate 1). AWS spreads such a message over time rather than
    # refusing it; refusing only on top of earlier sends is the closest instant analogue.
    if check_rate:
        most = rate_bound.bound(row[1:4], now)
        if (most is None or most + recipients > quota.max_send_rate) and rate_exceeded(
            tx, account, region, now, recipients, quota
        ):
            raise QuotaExceeded("rate")
    tx.execute(
        "INSERT INTO ses_sends "
        "(account, region, sent_at, message_id, recipients, quota_recipients) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (account, region, now, message_id or uuid.uuid4().hex, recipients, quota_recipients),
    )
    # Always, even for a message that counts nothing toward the daily quota: its
    # recipients count toward the rate.
    tx.execute(
        rate_bound.UPSERT,
        rate_bound.upsert_params(account, region, now, recipients, quota_recipients),
    )


_RECENT = (
    "SELECT COALESCE(SUM(recipients), 0) FROM ses_sends "
    "WHERE account = ? AND region = ? AND sent_at > ?"
)


def rate_exceeded(
    tx: Transaction, account: str, region: str, now: float, recipients: int, quota: Limits
) -> bool:
    """Whether ``recipients`` more, now, would exceed the maximum sending rate."""
    row = tx.fetchone(_RECENT, (account, region, now - RATE_WINDOW_SECONDS))
    return _too_fast(int(row[0]) if row is not None else 0, recipients, quota)


def _too_fast(recent: int, recipients: int, quota: Limits) -> bool:
    return recent > 0 and recent + recipients > quota.max_send_rate


def prune(tx: Transaction, now: float) -> int:
    """Drop every account's sends older than the daily window; return how many.

    Each account's rows go under its quota lock (``lock_name``), as a sender's own do: a
    sender reads its running total early in its transaction (``standing``), and a prune
    landing between that read and its count would make the count high by what it took."""
    accounts = tx.fetchall(
        "SELECT DISTINCT account, region FROM ses_sends WHERE sent_at <= ? "
        "ORDER BY account, region",
        (now - DAY_SECONDS,),
    )
    dropped = 0
    for account, region in accounts:
        tx.lock(lock_name(str(account), str(region)))
        rows = tx.fetchall(
            "DELETE FROM ses_sends WHERE account = ? AND region = ? AND sent_at <= ? "
            "RETURNING quota_recipients",
            (account, region, now - DAY_SECONDS),
        )
        _add_to_total(tx, str(account), str(region), -sum(int(counted) for (counted,) in rows))
        dropped += len(rows)
    return dropped


def _drop_expired(tx: Transaction, account: str, region: str, now: float) -> int:
    """Delete the account's sends older than the daily window; the recipients they had
    counted, now taken off its running total."""
    rows = tx.fetchall(
        "DELETE FROM ses_sends WHERE account = ? AND region = ? AND sent_at <= ? "
        "RETURNING quota_recipients",
        (account, region, now - DAY_SECONDS),
    )
    dropped = sum(int(counted) for (counted,) in rows)
    _add_to_total(tx, account, region, -dropped)
    return dropped


def _total(tx: Transaction, account: str, region: str) -> int:
    row = tx.fetchone(
        "SELECT quota_recipients FROM ses_send_totals WHERE account = ? AND region = ?",
        (account, region),
    )
    return int(row[0]) if row is not None else 0


def _add_to_total(tx: Transaction, account: str, region: str, change: int) -> None:
    """Every insert into or delete from `ses_sends` moves the total by its recipients."""
    if change == 0:
        return
    tx.execute(
        "INSERT INTO ses_send_totals (account, region, quota_recipients) VALUES (?, ?, ?) "
        "ON CONFLICT (account, region) DO UPDATE "
        "SET quota_recipients = ses_send_totals.quota_recipients + excluded.quota_recipients",
        (account, region, change),
    )
