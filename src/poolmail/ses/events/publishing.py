"""The one door through which SES events leave poolmail.

Every event of an SES message — stored with the message at send time (Send, Delivery,
Bounce, Complaint, ...) or added later (Open, Click, DeliveryDelay, Subscription) — goes
through ``message_events`` in the transaction that stores it. The event destinations of the
message's configuration set and the notification topics of its identity each turn it into
outbox records (aws_services/outbox.py), so an acknowledged send's events are never lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from poolmail.config import Settings
from poolmail.mail import mailbox
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.ses.events import destinations, notifications
from poolmail.ses.tenants import history
from poolmail.store import Transaction


def message_events(
    tx: Transaction,
    settings: Settings,
    message: StoredMessage,
    events: Sequence[Event],
    now: float,
) -> None:
    """Publish ``events`` of ``message`` (already in the mailbox) wherever its
    configuration set and identity say, and count them toward its tenant's reputation."""
    destinations.publish(tx, settings, message, events, now)
    notifications.publish(tx, settings, message, events, now)
    history.count(tx, message, events)


def later_events(
    tx: Transaction, settings: Settings, message_id: str, events: Sequence[Event], now: float
) -> StoredMessage | None:
    """Add ``events`` to a stored message and publish them; the message, or None when
    there is no such message (nothing is added then)."""
    message = mailbox.load(tx, message_id)
    if message is None:
        return None
    mailbox.append_events(tx, message_id, events)
    message_events(tx, settings, message, events, now)
    return message
