"""The listed addresses of an account's suppression list, per Region: the one writer of
``ses_suppressed_destinations``, used by the SES v2 operations, the send path's automatic
adds and the import and export jobs."""

from __future__ import annotations

import json
from typing import Any

from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

REASONS = ("BOUNCE", "COMPLAINT")


def normalize(address: str) -> str:
    """The form an address is listed and looked up under.

    AWS quirk: SES trims the address and lower-cases its domain only; the local part keeps
    its case (facts §1, as a third-party emulator probed it).
    """
    local, at, domain = address.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else address.strip()


def put_destination(
    tx: Transaction,
    account: str,
    region: str,
    address: str,
    reason: str,
    now: float,
    *,
    message_id: str | None = None,
    feedback_id: str | None = None,
) -> None:
    """List ``address`` for ``reason`` (BOUNCE or COMPLAINT), or update its listing: a
    listed address has one reason, the latest, and LastUpdateTime ``now``."""
    attributes = {
        name: value
        for name, value in (("MessageId", message_id), ("FeedbackId", feedback_id))
        if value is not None
    }
    tx.execute(
        "INSERT INTO ses_suppressed_destinations "
        "(account, region, address, email, reason, updated_at, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, address) DO UPDATE SET email = excluded.email, "
        "reason = excluded.reason, updated_at = excluded.updated_at, data = excluded.data",
        (
            account,
            region,
            normalize(address),
            address.strip(),
            reason,
            now,
            json.dumps(attributes),
        ),
    )


def delete_destination(tx: Transaction, account: str, region: str, address: str) -> bool:
    """Take ``address`` off the list; whether it was listed."""
    deleted = tx.execute(
        "DELETE FROM ses_suppressed_destinations WHERE account = ? AND region = ? AND address = ?",
        (account, region, normalize(address)),
    )
    return deleted > 0


_COLUMNS = "address, updated_at, email, reason, data"


def _summary(row: Any) -> dict[str, Any]:
    """A row in the model's SuppressedDestination shape (LastUpdateTime in epoch seconds)."""
    found: dict[str, Any] = {
        "EmailAddress": str(row[2]),
        "Reason": str(row[3]),
        "LastUpdateTime": float(row[1]),
    }
    attributes = json.loads(row[4])
    if attributes:
        found["Attributes"] = attributes
    return found


def get_destination(
    tx: Transaction, account: str, region: str, address: str
) -> dict[str, Any] | None:
    """The listing of ``address`` (EmailAddress, Reason, LastUpdateTime, Attributes?)."""
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM ses_suppressed_destinations "
        "WHERE account = ? AND region = ? AND address = ?",
        (account, region, normalize(address)),
    )
    return _summary(row) if row is not None else None


def listed(tx: Transaction, account: str, region: str, addresses: list[str]) -> dict[str, str]:
    """Of ``addresses`` (bare), those on the list, each normalised form with its reason:
    one indexed query, the send path's only cost when nothing is listed."""
    wanted = sorted({normalize(address) for address in addresses})
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = tx.fetchall(
        "SELECT address, reason FROM ses_suppressed_destinations "
        f"WHERE account = ? AND region = ? AND address IN ({marks})",
        (account, region, *wanted),
    )
    return {str(row[0]): str(row[1]) for row in rows}


def _filtered(
    account: str,
    region: str,
    reasons: list[str] | None,
    start: float | None,
    end: float | None,
) -> tuple[str, list[Any]]:
    sql = f"SELECT {_COLUMNS} FROM ses_suppressed_destinations WHERE account = ? AND region = ?"
    args: list[Any] = [account, region]
    if reasons:
        sql += f" AND reason IN ({', '.join('?' for _ in reasons)})"
        args += reasons
    if start is not None:
        sql += " AND updated_at >= ?"
        args.append(start)
    if end is not None:
        sql += " AND updated_at <= ?"
        args.append(end)
    return sql, args


def list_destinations(
    tx: Transaction,
    account: str,
    region: str,
    *,
    reasons: list[str] | None = None,
    start: float | None = None,
    end: float | None = None,
) -> list[dict[str, Any]]:
    """Every listed address matching the filters, oldest update first, each in the
    model's SuppressedDestinationSummary shape plus its Attributes (when it has some).
    ``start``/``end`` bound LastUpdateTime (epoch seconds), both inclusive."""
    sql, args = _filtered(account, region, reasons, start, end)
    rows = tx.fetchall(sql + " ORDER BY updated_at, address", args)
    return [_summary(row) for row in rows]


def page_destinations(
    tx: Transaction,
    account: str,
    region: str,
    *,
    reasons: list[str] | None,
    start: float | None,
    end: float | None,
    token: str | None,
    token_error: str,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``list_destinations`` and the token of the next (keyset paging on
    (LastUpdateTime, address), so a page costs the same at any depth)."""
    sql, args = _filtered(account, region, reasons, start, end)
    if token is not None:
        after_time, after_address = decode_token(token, token_error, 2)
        if not isinstance(after_time, int | float) or not isinstance(after_address, str):
            raise AwsError(token_error, "Invalid pagination token.")
        sql += " AND (updated_at > ? OR (updated_at = ? AND address > ?))"
        args += [after_time, after_time, after_address]
    rows = tx.fetchall(sql + " ORDER BY updated_at, address LIMIT ?", [*args, limit + 1])
    next_token = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_token = encode_token([float(last[1]), str(last[0])])
        rows = rows[:limit]
    return [_summary(row) for row in rows], next_token
