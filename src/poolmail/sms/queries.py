"""Reading the SMS outbox: filtered listings newest first, one text, the newest code of a
user, and clearing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from poolmail.mail.localstack import iso
from poolmail.store import Row, Transaction
from poolmail.store.conditions import Conditions

_COLUMNS = "id, account, region, created_at, pool_id, destination, status, data"
# Rows read per query while a filter on the JSON data (username, kind) is applied: the
# walk goes on, batch after batch, until the limit is met or the rows run out, so the
# answer is exact however many texts other users received.
_BATCH = 500


def phone_number(value: str | None) -> str | None:
    """A destination as a filter: stripped, and `+` put back when a query string turned
    it into a space (`?to=+15550100` unencoded arrives as ` 15550100`)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    return "+" + value if value.isdigit() else value


@dataclass(frozen=True, slots=True)
class SmsFilter:
    destination: str | None = None
    pool_id: str | None = None
    # The user's name, or the number the text went to (tests often know only that).
    username: str | None = None
    kind: str | None = None
    since: float | None = None
    until: float | None = None
    account: str | None = None
    region: str | None = None
    sms_id: str | None = None
    limit: int = 100

    def reads_data(self) -> bool:
        return self.username is not None or self.kind is not None

    def matches(self, sms: dict[str, Any]) -> bool:
        if self.kind is not None and sms["kind"] != self.kind:
            return False
        if self.username is None:
            return True
        number = phone_number(self.username)
        return self.username == sms["username"] or number == str(sms["destination"])


def list_sms(tx: Transaction, where: SmsFilter) -> list[dict[str, Any]]:
    """Matching texts, newest first. Column filters run in SQL; username and kind, kept
    in the JSON data, are checked on the rows as they come."""
    found: list[dict[str, Any]] = []
    if where.limit <= 0:
        return found
    for row in _rows(tx, where):
        sms = summary(row)
        if where.matches(sms):
            found.append(sms)
            if len(found) >= where.limit:
                break
    return found


def _rows(tx: Transaction, where: SmsFilter) -> Iterator[Row]:
    conditions = Conditions().equal(
        ("id", where.sms_id),
        ("account", where.account),
        ("region", where.region),
        ("pool_id", where.pool_id),
        ("destination", phone_number(where.destination)),
    )
    conditions.window("created_at", where.since, where.until)
    batch = max(where.limit, _BATCH) if where.reads_data() else where.limit
    after: tuple[float, str] | None = None
    while True:
        page = conditions.copy()
        if after is not None:
            page.before(*after)
        sql = f"SELECT {_COLUMNS} FROM sms_messages{page.sql()}"
        rows = tx.fetchall(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*page.args, batch])
        yield from rows
        if len(rows) < batch:
            return
        after = (float(rows[-1][3]), str(rows[-1][0]))


def summary(row: Row) -> dict[str, Any]:
    sms_id, account, region, created, pool_id, destination, status, data = row
    details: dict[str, Any] = json.loads(data)
    return {
        "id": sms_id,
        "account": account,
        "region": region,
        "timestamp": iso(float(created)),
        "created_at": float(created),
        "status": status,
        "pool_id": pool_id,
        "destination": destination,
        "username": details.get("username"),
        "kind": details.get("kind"),
        "text": details.get("text"),
        "code": details.get("code"),
        "operation": details.get("operation"),
        "sns_region": details.get("sns_region"),
        "caller_arn": details.get("caller_arn"),
        "shaped_by": details.get("shaped_by"),
    }


def one_sms(tx: Transaction, sms_id: str) -> dict[str, Any] | None:
    found = list_sms(tx, SmsFilter(sms_id=sms_id, limit=1))
    return found[0] if found else None


def newest_code(tx: Transaction, pool_id: str, username: str) -> dict[str, Any] | None:
    """The newest text a pool sent its user (by name or number) that carries a code."""
    where = SmsFilter(pool_id=pool_id, username=username, limit=1)
    for row in _rows(tx, where):
        sms = summary(row)
        if where.matches(sms) and sms["code"]:
            return sms
    return None


def delete_sms(tx: Transaction, sms_id: str | None = None) -> int:
    if sms_id is None:
        return tx.execute("DELETE FROM sms_messages")
    return tx.execute("DELETE FROM sms_messages WHERE id = ?", (sms_id,))
