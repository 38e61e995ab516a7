"""Identity notifications (SES v1 SetIdentityNotificationTopic and friends, v2
PutEmailIdentityFeedbackAttributes). Placeholder until built."""

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
    """Outbox records for the Bounce, Complaint and Delivery topics of the identity that
    sent the message; feedback forwarding mail when it is on."""
