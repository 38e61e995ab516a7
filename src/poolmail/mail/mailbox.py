"""Storing messages and their events; the one writer of the `messages` tables."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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
        "recipients, subject, data, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        ),
    )
    add_events(tx, message.id, message.events, start=0)


def add_events(tx: Transaction, message_id: str, events: Sequence[Event], start: int) -> None:
    for position, event in enumerate(events, start=start):
        tx.execute(
            "INSERT INTO message_events (message_id, position, type, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, position, event.type, event.at, json.dumps(event.detail)),
        )
