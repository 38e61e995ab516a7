"""Storing messages and their events; the one writer of the `messages` tables."""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from poolmail.mail import localstack
from poolmail.store import Transaction

Status = Literal["delivered", "bounced", "rejected"]
Origin = Literal["ses", "smtp", "cognito", "inbound"]


def new_message_id(now: float) -> str:
    """An SES-shaped message id whose first part is the time, so ids sort by age, then a
    random (version 4) UUID: ``uuid.uuid4()``'s bits, written without its object (a
    quarter of the cost, on every send)."""
    middle = bytearray(os.urandom(16))
    middle[6] = (middle[6] & 0x0F) | 0x40  # version 4
    middle[8] = (middle[8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = middle.hex()
    return (
        f"{int(now * 1000):016x}-{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-"
        f"{hexed[20:]}-000000"
    )


@dataclass(slots=True)
class Event:
    type: str  # Send, Delivery, Bounce, Complaint, Reject, DeliveryDelay, AutoReply
    at: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StoredMessage:
    """A message as the mailbox keeps it. ``raw`` is the full MIME message (None for a
    refused send); ``details`` carries what later readers need: kind (``ses-send``,
    ``ses-verification``, ``cognito-sign-up`` ...), destination, tags, configuration set,
    the identity used, the pool and user, the code or link, the error of a rejection."""

    id: str
    account: str
    region: str
    created_at: float
    status: Status
    origin: Origin
    source: str
    recipients: list[str]
    subject: str
    raw: bytes | None
    details: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def store(tx: Transaction, message: StoredMessage) -> None:
    tx.execute(
        "INSERT INTO messages (id, account, region, created_at, status, origin, source, "
        "recipients, subject, data, raw, kind, listing, search_text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message.id,
            message.account,
            message.region,
            message.created_at,
            message.status,
            message.origin,
            message.source,
            json.dumps(message.recipients),
            message.subject,
            json.dumps(message.details),
            message.raw,
            kind_of(message.details),
            localstack.stored_entry(
                message_id=message.id,
                region=message.region,
                created_at=message.created_at,
                source=message.source,
                recipients=message.recipients,
                subject=message.subject,
                details=message.details,
                raw=message.raw,
            ),
            search_text(message),
        ),
    )
    # The recipient index behind the mailbox's `recipient` filter (queries.list_messages).
    _insert_rows(
        tx,
        "INSERT INTO message_recipients (recipient, created_at, message_id) VALUES ",
        [
            (recipient, message.created_at, message.id)
            for recipient in dict.fromkeys(address.lower() for address in message.recipients)
        ],
    )
    add_events(tx, message.id, message.events, start=0)


# What a search reads of one message, at most: a newsletter of megabytes is searchable by
# its beginning, and its row does not double in size.
SEARCH_TEXT_LIMIT = 100_000
# Elements whose content a reader never sees as text.
_UNSEEN = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def search_text(message: StoredMessage) -> str:
    """The lower-cased text the mailbox search matches (`queries.search_terms`): subject,
    addresses, the text body and the HTML body without its tags.

    Kept with the message because it never changes, and made from the bodies the sender
    gave (``details["body"]``) when it gave them: a sign-up's mail is not parsed back from
    MIME on the send path. Only raw sends (and SES's verification mail) are parsed here.
    """
    given = message.details.get("body")
    if isinstance(given, dict):
        text, markup = given.get("text"), given.get("html")
    elif message.raw is not None:
        # Imported here: the ses package imports the mailbox, which it would import back.
        from poolmail.ses.sending.mime import bodies

        # The beginning only: the bodies come first, and a large attachment after them
        # is not parsed for nothing.
        text, markup = bodies(message.raw[: SEARCH_TEXT_LIMIT * 4])
    else:
        text = markup = None
    parts = [message.subject, message.source, " ".join(message.recipients)]
    if text:
        parts.append(text[:SEARCH_TEXT_LIMIT])
    if markup:
        seen = html_text(markup[:SEARCH_TEXT_LIMIT])
        # Cognito's text body is its HTML without tags: the same words once are enough.
        if _SPACE.sub("", seen) != _SPACE.sub("", text or ""):
            parts.append(seen)
    # Spaces collapsed, so a quoted phrase matches across the body's line breaks.
    return _SPACE.sub(" ", " ".join(parts)).lower()[:SEARCH_TEXT_LIMIT]


def html_text(markup: str) -> str:
    """What a reader reads of an HTML body: no tags, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _UNSEEN.sub(" ", markup)))).strip()


def kind_of(details: dict[str, Any]) -> str:
    """What a message is (``ses-send``, ``cognito-sign-up``, ...): its details say, and a
    message that does not say is an SES send."""
    return str(details.get("kind", "ses-send"))


def add_events(tx: Transaction, message_id: str, events: Sequence[Event], start: int) -> None:
    _insert_rows(
        tx,
        "INSERT INTO message_events (message_id, position, type, created_at, data) VALUES ",
        [
            (message_id, position, event.type, event.at, json.dumps(event.detail))
            for position, event in enumerate(events, start=start)
        ],
    )


# Rows per INSERT: well inside both stores' limits on parameters (SQLite 32,766,
# PostgreSQL 65,535) for any message's recipients or events.
_ROWS_PER_INSERT = 500


def _insert_rows(tx: Transaction, insert: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``rows`` in as few statements as the limits allow: a send stores two events and a
    recipient or more, and each statement is a round of Python and SQLite's parsing."""
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        tx.execute(
            _values_sql(insert, len(chunk), len(chunk[0])),
            [value for row in chunk for value in row],
        )


@functools.lru_cache(maxsize=256)
def _values_sql(insert: str, rows: int, columns: int) -> str:
    """``insert`` followed by ``rows`` tuples of ``columns`` placeholders: the same few
    texts at every send, written once."""
    placeholders = "(" + ", ".join(["?"] * columns) + ")"
    return insert + ", ".join([placeholders] * rows)


def append_events(tx: Transaction, message_id: str, events: Sequence[Event]) -> None:
    """Add ``events`` after those ``message_id`` already has (an open, a click, a delay,
    an unsubscribe: what happens to a message after it was stored)."""
    row = tx.fetchone("SELECT COUNT(*) FROM message_events WHERE message_id = ?", (message_id,))
    add_events(tx, message_id, events, start=int(row[0]) if row else 0)


def load(tx: Transaction, message_id: str) -> StoredMessage | None:
    """The stored message ``message_id`` with its events, or None."""
    row = tx.fetchone(
        "SELECT id, account, region, created_at, status, origin, source, recipients, "
        "subject, data, raw FROM messages WHERE id = ?",
        (message_id,),
    )
    if row is None:
        return None
    events = [
        Event(kind, float(at), json.loads(data))
        for kind, at, data in tx.fetchall(
            "SELECT type, created_at, data FROM message_events WHERE message_id = ? "
            "ORDER BY position",
            (message_id,),
        )
    ]
    return StoredMessage(
        id=row[0],
        account=row[1],
        region=row[2],
        created_at=float(row[3]),
        status=row[4],
        origin=row[5],
        source=row[6],
        recipients=json.loads(row[7]),
        subject=row[8],
        raw=bytes(row[10]) if row[10] is not None else None,
        details=json.loads(row[9]),
        events=events,
    )
