"""Reading the mailbox: filtered listings, one message with its bodies and events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from poolmail.ses.mime import bodies
from poolmail.store import Row, Transaction

_COLUMNS = "id, account, region, created_at, status, origin, source, recipients, subject, data"


@dataclass(frozen=True, slots=True)
class MessageFilter:
    recipient: str | None = None
    sender: str | None = None
    since: float | None = None
    until: float | None = None
    status: str | None = None
    kind: str | None = None
    account: str | None = None
    region: str | None = None
    message_id: str | None = None
    include_rejected: bool = True
    exclude_kinds: tuple[str, ...] = ()
    limit: int = 100


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_messages(tx: Transaction, where: MessageFilter) -> list[dict[str, Any]]:
    """Matching messages, newest first, as summaries."""
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("id", where.message_id),
        ("status", where.status),
        ("account", where.account),
        ("region", where.region),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if where.sender is not None:
        clauses.append("source = ?")
        args.append(where.sender)
    if where.recipient is not None:
        # Recipients are a JSON list; match one element exactly, quotes included.
        clauses.append("recipients LIKE ? ESCAPE '\\'")
        args.append(f'%"{_like_escape(where.recipient)}"%')
    if where.since is not None:
        clauses.append("created_at >= ?")
        args.append(where.since)
    if where.until is not None:
        clauses.append("created_at <= ?")
        args.append(where.until)
    if not where.include_rejected:
        clauses.append("status <> 'rejected'")
    sql = f"SELECT {_COLUMNS} FROM messages"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    args.append(where.limit)
    summaries = [summary(row) for row in tx.fetchall(sql, args)]
    if where.kind is not None:
        summaries = [item for item in summaries if item["kind"] == where.kind]
    if where.exclude_kinds:
        summaries = [item for item in summaries if item["kind"] not in where.exclude_kinds]
    return summaries


def summary(row: Row) -> dict[str, Any]:
    message_id, account, region, created, status, origin, source, recipients, subject, data = row
    details = json.loads(data)
    return {
        "id": message_id,
        "account": account,
        "region": region,
        "timestamp": iso(float(created)),
        "created_at": float(created),
        "status": status,
        "origin": origin,
        "kind": details.get("kind", "ses-send"),
        "source": source,
        "recipients": json.loads(recipients),
        "subject": subject,
        "details": details,
    }


def iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def raw_message(tx: Transaction, message_id: str) -> bytes | None:
    row = tx.fetchone("SELECT raw FROM messages WHERE id = ?", (message_id,))
    if row is None or row[0] is None:
        return None
    return bytes(row[0])


def events(tx: Transaction, message_id: str) -> list[dict[str, Any]]:
    rows = tx.fetchall(
        "SELECT type, created_at, data FROM message_events WHERE message_id = ? ORDER BY position",
        (message_id,),
    )
    return [
        {"type": kind, "timestamp": iso(float(at)), **json.loads(data)} for kind, at, data in rows
    ]


def full_message(tx: Transaction, message_id: str) -> dict[str, Any] | None:
    found = list_messages(tx, MessageFilter(message_id=message_id, limit=1))
    if not found:
        return None
    message = found[0]
    raw = raw_message(tx, message_id)
    text, html = bodies(raw) if raw is not None else (None, None)
    message.update(text=text, html=html, events=events(tx, message_id))
    return message


def delete_messages(tx: Transaction, message_id: str | None = None) -> int:
    if message_id is None:
        tx.execute("DELETE FROM message_events")
        return tx.execute("DELETE FROM messages")
    tx.execute("DELETE FROM message_events WHERE message_id = ?", (message_id,))
    return tx.execute("DELETE FROM messages WHERE id = ?", (message_id,))
