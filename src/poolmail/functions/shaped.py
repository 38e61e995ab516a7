"""What an invocation shaped: the mail and texts a CustomMessage function rewrote, each
linked to the invocation by its id (chosen before the call, carried in the message's
details), never by guessing from times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from poolmail.store import Transaction

MAIL = "mail"
SMS = "sms"


@dataclass(frozen=True, slots=True)
class Shaped:
    channel: str  # MAIL or SMS
    message_id: str


def link(tx: Transaction, invocation_id: str, channel: str, message_id: str, at: float) -> None:
    """Note that ``invocation_id`` shaped the message ``message_id`` of ``channel``."""
    tx.execute(
        "INSERT INTO function_shaped (invocation_id, channel, message_id, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (invocation_id, channel, message_id, at),
    )


def shaped_by(tx: Transaction, invocation_ids: Iterable[str]) -> dict[str, list[Shaped]]:
    """The messages each of ``invocation_ids`` shaped, oldest first; ids that shaped
    nothing are left out."""
    wanted = list(dict.fromkeys(invocation_ids))
    found: dict[str, list[Shaped]] = {}
    # Bounded batches keep each statement's parameter count far below both stores' limits.
    for start in range(0, len(wanted), 200):
        batch = wanted[start : start + 200]
        marks = ", ".join("?" for _ in batch)
        # Messages deleted since (the mailbox or outbox cleared) are left out: a link
        # must lead somewhere. A read of their ids only; their writers stay their own.
        rows = tx.fetchall(
            "SELECT s.invocation_id, s.channel, s.message_id FROM function_shaped s "
            f"WHERE s.invocation_id IN ({marks}) AND ("
            "(s.channel = 'mail' AND EXISTS (SELECT 1 FROM messages m WHERE m.id = s.message_id))"
            " OR (s.channel = 'sms' AND EXISTS "
            "(SELECT 1 FROM sms_messages t WHERE t.id = s.message_id))"
            ") ORDER BY s.created_at, s.message_id",
            batch,
        )
        for invocation_id, channel, message_id in rows:
            found.setdefault(str(invocation_id), []).append(Shaped(str(channel), str(message_id)))
    return found
