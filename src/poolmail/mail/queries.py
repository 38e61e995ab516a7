"""Reading the mailbox: filtered listings, one message with its bodies and events."""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from typing import Any

from poolmail.mail import localstack
from poolmail.mail.mailbox import kind_of
from poolmail.ses.mime import bodies
from poolmail.store import Dialect, Row, Transaction
from poolmail.store.conditions import Conditions

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
    # Words (or "quoted phrases") that must all occur in the subject, an address or a body.
    search: str | None = None
    include_rejected: bool = True
    exclude_kinds: tuple[str, ...] = ()
    limit: int = 100


def list_messages(tx: Transaction, where: MessageFilter) -> list[dict[str, Any]]:
    """Matching messages, newest first, as summaries.

    Every filter runs in SQL, before the limit. A recipient filter starts from the
    recipient index (exact address, any case), so it costs the same with a hundred
    messages stored as with a million. A search reads each newer message's text until
    ``limit`` match: linear in the mailbox, as a local mailbox can afford.
    """
    return [summary(row) for row in tx.fetchall(*_select(where, _COLUMNS))]


def localstack_listing(tx: Transaction, where: MessageFilter, dialect: Dialect) -> str:
    """Every matching message as LocalStack's `/_aws/ses` entries, oldest first as
    LocalStack lists them: the JSON texts joined by commas (the array's inside).

    The store joins the stored entries itself, so ten thousand messages come back as one
    text rather than ten thousand rows (bench/notes.md, optimisation 33); on SQLite they
    are read from the `messages_listing` index, never from the rows. A message without a
    stored entry (a raw send, or one stored before entries were) comes back as its id
    between two U+0001 marks, which no JSON text holds unescaped, and its entry is made
    here. ``where.limit`` does not apply: LocalStack's listing has none.
    """
    sql, args = _select(where, "listing, id, created_at", oldest_first=True)
    marked = "COALESCE(m.listing, {mark} || m.id || {mark})"
    if dialect == "postgresql":
        sql = (
            f"SELECT string_agg({marked.format(mark='chr(1)')}, ',' "
            f"ORDER BY m.created_at, m.id) FROM ({sql}) m"
        )
    else:
        # SQLite before 3.44 takes no ORDER BY in an aggregate: it concatenates in the
        # order the ordered subquery yields its rows.
        sql = f"SELECT group_concat({marked.format(mark='char(1)')}, ',') FROM ({sql}) m"
    row = tx.fetchone(sql, args)
    joined = str(row[0]) if row is not None and row[0] is not None else ""
    if _MARK not in joined:
        return joined
    return _MARKED.sub(lambda found: _made_entry(tx, found.group(1)), joined)


_MARK = "\x01"
_MARKED = re.compile("\x01([^\x01]*)\x01")


def _made_entry(tx: Transaction, message_id: str) -> str:
    row = tx.fetchone(f"SELECT {_COLUMNS} FROM messages WHERE id = ?", (message_id,))
    # Listed in this same transaction: the row is there.
    assert row is not None
    message = summary(row)
    details = message["details"]
    raw = raw_message(tx, message["id"]) if localstack.needs_raw(details) else None
    entry = localstack.shape(
        message_id=message["id"],
        region=message["region"],
        created_at=message["created_at"],
        source=message["source"],
        recipients=message["recipients"],
        subject=message["subject"],
        details=details,
        raw=raw,
    )
    return localstack.to_json(entry)


def _select(
    where: MessageFilter, columns: str, *, oldest_first: bool = False
) -> tuple[str, list[Any]]:
    """The query of ``where``'s messages, newest first up to ``where.limit``; with
    ``oldest_first``, all of them, oldest first."""
    conditions = Conditions().equal(
        ("m.id", where.message_id),
        ("m.status", where.status),
        ("m.account", where.account),
        ("m.region", where.region),
        ("m.source", where.sender),
        ("m.kind", where.kind),
    )
    conditions.window("m.created_at", where.since, where.until)
    if not where.include_rejected:
        conditions.add("m.status <> 'rejected'")
    if where.search:
        for term in search_terms(where.search):
            conditions.add("m.search_text LIKE ? ESCAPE '\\'", _containing(term))
    if where.exclude_kinds:
        marks = ", ".join("?" for _ in where.exclude_kinds)
        conditions.add(f"m.kind NOT IN ({marks})", *where.exclude_kinds)
    selected = ", ".join(f"m.{column}" for column in columns.split(", "))
    args = conditions.args
    if where.recipient is not None:
        sql = (
            f"SELECT {selected} FROM message_recipients r "
            "JOIN messages m ON m.id = r.message_id WHERE r.recipient = ?"
        )
        args.insert(0, where.recipient.lower())
        sql += conditions.sql("AND")
        order = " ORDER BY r.created_at DESC, r.message_id DESC LIMIT ?"
    else:
        sql = f"SELECT {selected} FROM messages m{conditions.sql()}"
        order = " ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
    if oldest_first:
        return sql + order.replace(" DESC", "").removesuffix(" LIMIT ?"), args
    args.append(where.limit)
    return sql + order, args


# A search has at most this many terms; more would only slow the scan.
MAX_TERMS = 10
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_LIKE_SPECIAL = re.compile(r"[\\%_]")


def search_terms(query: str) -> list[str]:
    """The lower-cased terms of a search: words, and "quoted phrases" kept whole. Each must
    occur in a message's search text (`mailbox.search_text`), anywhere: `4711` finds the
    code 471122, `example.org` every address at that domain."""
    terms = [" ".join((phrase or word).lower().split()) for phrase, word in _TERM.findall(query)]
    return [term for term in dict.fromkeys(terms) if term][:MAX_TERMS]


def _containing(term: str) -> str:
    """A LIKE pattern (escaped with backslashes) matching any text that contains ``term``."""
    return "%" + _LIKE_SPECIAL.sub(lambda found: "\\" + found.group(), term) + "%"


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
        "kind": kind_of(details),
        "source": source,
        "recipients": json.loads(recipients),
        "subject": subject,
        "details": details,
    }


iso = localstack.iso


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
        tx.execute("DELETE FROM message_recipients")
        return tx.execute("DELETE FROM messages")
    tx.execute("DELETE FROM message_events WHERE message_id = ?", (message_id,))
    row = tx.fetchone("SELECT created_at, recipients FROM messages WHERE id = ?", (message_id,))
    if row is None:
        return 0
    # The recipient rows by their whole key (no index on message_id: every send would
    # write one more B-tree). mailbox.store lower-cases with Python; migration 5 filled
    # the rows of older messages with SQL's LOWER, which SQLite's folds ASCII only.
    keys = {
        folded
        for address in json.loads(row[1])
        for folded in (address.lower(), address.translate(_ASCII_LOWER))
    }
    if keys:
        marks = ", ".join("?" for _ in keys)
        tx.execute(
            f"DELETE FROM message_recipients WHERE recipient IN ({marks}) "
            "AND created_at = ? AND message_id = ?",
            [*keys, row[0], message_id],
        )
    return tx.execute("DELETE FROM messages WHERE id = ?", (message_id,))


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
