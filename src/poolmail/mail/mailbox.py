"""Storing messages and their events; the one writer of the `messages` tables."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from poolmail.mail import localstack
from poolmail.store import Transaction

Status = Literal["delivered", "bounced", "rejected"]
Origin = Literal["ses", "smtp", "cognito"]


def new_message_id(now: float) -> str:
    """An SES-shaped message id whose first part is the time, so ids sort by age."""
    return f"{int(now * 1000):016x}-{uuid.uuid4()}-000000"


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
        "recipients, subject, data, raw, kind, listing) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        ),
    )
    # The recipient index behind the mailbox's `recipient` filter (queries.list_messages).
    for recipient in dict.fromkeys(address.lower() for address in message.recipients):
        tx.execute(
            "INSERT INTO message_recipients (recipient, created_at, message_id) VALUES (?, ?, ?)",
            (recipient, message.created_at, message.id),
        )
    add_events(tx, message.id, message.events, start=0)


def kind_of(details: dict[str, Any]) -> str:
    """What a message is (``ses-send``, ``cognito-sign-up``, ...): its details say, and a
    message that does not say is an SES send."""
    return str(details.get("kind", "ses-send"))


def add_events(tx: Transaction, message_id: str, events: Sequence[Event], start: int) -> None:
    for position, event in enumerate(events, start=start):
        tx.execute(
            "INSERT INTO message_events (message_id, position, type, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, position, event.type, event.at, json.dumps(event.detail)),
        )
