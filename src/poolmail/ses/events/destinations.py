"""Configuration-set event destinations (SES v1 and v2). Placeholder until built."""

from __future__ import annotations

from collections.abc import Sequence

from poolmail.config import Settings
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.operations import Handler
from poolmail.store import Transaction

V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {}


def publish(
    tx: Transaction,
    settings: Settings,
    message: StoredMessage,
    events: Sequence[Event],
    now: float,
) -> None:
    """Outbox records for the enabled destinations of the message's configuration set
    whose MatchingEventTypes include each event."""
