"""Mail that poolmail writes itself to one address: a forwarded bounce or complaint,
SendBounce's delivery status notification, a message of Cognito's default sender."""

from __future__ import annotations

from typing import Any

from poolmail.mail import mailbox
from poolmail.mail.mailbox import Event, Origin, Status, StoredMessage
from poolmail.store import Transaction


def store_delivered(
    tx: Transaction,
    message_id: str,
    scope: tuple[str, str],
    now: float,
    *,
    origin: Origin,
    source: str,
    to: str,
    subject: str,
    raw: bytes,
    details: dict[str, Any],
    events: list[Event],
    status: Status = "delivered",
) -> None:
    """Store ``raw`` as sent from ``source`` to ``to`` alone in ``scope`` (account,
    region). The caller hands it to `--relay` (ses.outbound.relay_delivered) once ``tx``
    has committed: a relay must never see mail whose transaction rolled back."""
    account, region = scope
    mailbox.store(
        tx,
        StoredMessage(
            id=message_id,
            account=account,
            region=region,
            created_at=now,
            status=status,
            origin=origin,
            source=source,
            recipients=[to],
            subject=subject,
            raw=raw,
            details=details,
            events=events,
        ),
    )
