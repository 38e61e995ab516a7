"""Point-in-time recoveries as stored: their statuses over time, AWS's limits, paging.

Statuses move with the clock when a recovery is read (no background job): the preview is
generated PREVIEW_SECONDS after InitiatePointInTimeRecovery, expires 24 hours after it,
and a started restore completes RESTORE_SECONDS after StartPointInTimeRecovery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from poolmail.context import RequestContext
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

GENERATING = "PREVIEW_GENERATING"
GENERATED = "PREVIEW_GENERATED"
CANCELLED = "PREVIEW_CANCELLED"
EXPIRED = "PREVIEW_EXPIRED"
RESTORING = "RESTORING"
COMPLETED = "RESTORE_COMPLETED"
ACTIVE_STATES = (GENERATING, GENERATED, RESTORING)

# Not found: how long AWS takes ("might not be available immediately"). Choice: ten
# seconds each, so a test steps past them with the test clock.
PREVIEW_SECONDS = 10.0
RESTORE_SECONDS = 10.0
# "If you don't start or cancel the recovery within 24 hours after you initiate it, the
# recovery preview expires" [model InitiatePointInTimeRecovery].
EXPIRY_SECONDS = 86400.0
DAY = 86400.0

# Initiations, their limits and counts, one at a time per account.
LOCK = "poolmail:cognito-pitr"


@dataclass(slots=True)
class Restoration:
    id: str
    pool_id: str
    status: str
    restore_at: float
    created_at: float
    status_at: float
    preview: list[dict[str, Any]] = field(default_factory=list)

    def status_at_time(self, now: float) -> str:
        status = self.status
        if status == GENERATING and now >= self.status_at + PREVIEW_SECONDS:
            status = GENERATED
        if status == GENERATED and now >= self.created_at + EXPIRY_SECONDS:
            status = EXPIRED
        if status == RESTORING and now >= self.status_at + RESTORE_SECONDS:
            status = COMPLETED
        return status

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "RestoreId": self.id,
            "RestoreStatus": self.status_at_time(now),
            "RestoreTimestamp": self.restore_at,
        }

    def shape(self, now: float) -> dict[str, Any]:
        status = self.status_at_time(now)
        shown: dict[str, Any] = {
            **self.summary(now),
            # "shortly after the time that you initiated the recovery" [model]: poolmail
            # takes the moment of the initiation.
            "TriggerTimestamp": self.created_at,
        }
        # The preview once generated; "discards the recovery preview" on cancel [model].
        if status in (GENERATED, RESTORING, COMPLETED):
            shown["RestorePreview"] = self.preview
        return shown


_COLUMNS = "id, pool_id, status, restore_at, created_at, status_at, data"


def _of(row: tuple[Any, ...]) -> Restoration:
    return Restoration(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        float(row[3]),
        float(row[4]),
        float(row[5]),
        json.loads(row[6]).get("Preview", []),
    )


def insert(tx: Transaction, ctx: RequestContext, item: Restoration) -> None:
    tx.execute(
        "INSERT INTO cognito_pitr_restorations (id, pool_id, account, region, status, "
        "restore_at, created_at, status_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            item.id,
            item.pool_id,
            ctx.account_id,
            ctx.region,
            item.status,
            item.restore_at,
            item.created_at,
            item.status_at,
            json.dumps({"Preview": item.preview}),
        ),
    )


def load(tx: Transaction, pool_id: str, restore_id: str) -> Restoration:
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_pitr_restorations WHERE id = ? AND pool_id = ?",
        (restore_id, pool_id),
    )
    if row is None:
        # Choice: AWS's text for an unknown recovery was not found.
        raise AwsError(
            "ResourceNotFoundException",
            f"Point-in-time recovery {restore_id} does not exist in user pool {pool_id}.",
        )
    return _of(tuple(row))


def set_status(tx: Transaction, item: Restoration, status: str, now: float) -> None:
    item.status, item.status_at = status, now
    tx.execute(
        "UPDATE cognito_pitr_restorations SET status = ?, status_at = ? WHERE id = ?",
        (status, now, item.id),
    )


def _limit(message: str) -> AwsError:
    return AwsError("LimitExceededException", message)


def check_limits(tx: Transaction, ctx: RequestContext, pool_id: str, now: float) -> None:
    """AWS's limits on recoveries [model InitiatePointInTimeRecovery], each a
    LimitExceededException (Choice: the texts were not found)."""
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM cognito_pitr_restorations WHERE account = ? AND created_at > ?",
        (ctx.account_id, now - 30 * DAY),
    )
    items = [_of(tuple(row)) for row in rows]
    mine = [item for item in items if item.pool_id == pool_id]
    if any(item.status_at_time(now) in ACTIVE_STATES for item in mine):
        raise _limit("A user pool can have only one active recovery at a time.")
    if sum(item.status_at_time(now) in ACTIVE_STATES for item in items) >= 5:
        raise _limit("An account can have up to five active recoveries at a time.")
    if any(
        item.status_at_time(now) == COMPLETED and item.status_at + RESTORE_SECONDS > now - DAY
        for item in mine
    ):
        raise _limit("You can complete one recovery of a user pool in a 24-hour period.")
    if sum(item.created_at > now - DAY for item in mine) >= 3:
        raise _limit("You can create up to three recovery previews of a user pool in 24 hours.")
    if sum(item.created_at > now - DAY for item in items) >= 10:
        raise _limit("You can create up to ten recovery previews in an account in 24 hours.")
    if len(mine) >= 10:
        raise _limit("You can create up to ten recovery previews of a user pool in 30 days.")


def page(
    tx: Transaction, pool_id: str, limit: int, token: str | None
) -> tuple[list[Restoration], str | None]:
    """Most recent first [model ListPointInTimeRecoveries]."""
    sql = f"SELECT {_COLUMNS} FROM cognito_pitr_restorations WHERE pool_id = ?"
    values: list[Any] = [pool_id]
    if token is not None:
        before_created, before_id = decode_token(token, "InvalidParameterException", 2)
        sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"
        values += [before_created, before_created, before_id]
    rows = tx.fetchall(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*values, limit + 1])
    items = [_of(tuple(row)) for row in rows]
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_token([last.created_at, last.id])
