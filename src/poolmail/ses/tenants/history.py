"""A tenant's sending history as running totals: attempts, bounces and complaints of its
mail per UTC day, kept as each message's events are stored, so a send that names a tenant
reads at most a fortnight of rows rather than the fortnight's messages.

A day's totals may be split in two at a moment inside it: a reinstatement
(ses/account/reputation_entities.py), after which rates count afresh. A message counts in the
latest part that began before it, so every part that begins at or after a moment holds
only mail sent after it. The part that straddles a moment is read from the mailbox.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.store import Transaction

DAY_SECONDS = 86400.0
# Rows older than this go as the tenant sends: reputation looks back 14 days.
KEPT_SECONDS = 15 * DAY_SECONDS
# Mail SES counts toward reputation; the rest (rejections) never reached a receiver.
_COUNTED = ("delivered", "bounced")


@dataclass(slots=True)
class Counts:
    """What counts toward a reputation: delivery attempts, bounces, complaints, and when
    the latest of the mail counted was sent."""

    attempts: int = 0
    bounces: int = 0
    complaints: int = 0
    last: float = 0.0

    def add(self, other: Counts) -> None:
        self.attempts += other.attempts
        self.bounces += other.bounces
        self.complaints += other.complaints
        self.last = max(self.last, other.last)


def _day(at: float) -> float:
    return at - at % DAY_SECONDS


def count(tx: Transaction, message: StoredMessage, events: Sequence[Event]) -> None:
    """Add what ``events`` of ``message`` count toward its tenant's reputation: its
    recipients with its Send event, and each Bounce and Complaint."""
    tenant = message.details.get("tenant")
    if not tenant or message.status not in _COUNTED:
        return
    attempts = len(message.recipients) if any(e.type == "Send" for e in events) else 0
    bounces = sum(1 for event in events if event.type == "Bounce")
    complaints = sum(1 for event in events if event.type == "Complaint")
    if not (attempts or bounces or complaints):
        return
    scope = (message.account, message.region, str(tenant))
    at = message.created_at
    row = tx.fetchone(
        "SELECT MAX(start) FROM ses_tenant_history WHERE account = ? AND region = ? "
        "AND tenant = ? AND start >= ? AND start < ?",
        (*scope, _day(at), at),
    )
    latest = row[0] if row is not None else None
    first_of_day = latest is None
    start = _day(at) if latest is None else float(latest)
    tx.execute(
        "INSERT INTO ses_tenant_history (account, region, tenant, start, attempts, bounces, "
        "complaints, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, tenant, start) DO UPDATE SET "
        "attempts = ses_tenant_history.attempts + excluded.attempts, "
        "bounces = ses_tenant_history.bounces + excluded.bounces, "
        "complaints = ses_tenant_history.complaints + excluded.complaints, "
        "last_at = CASE WHEN excluded.last_at > ses_tenant_history.last_at "
        "THEN excluded.last_at ELSE ses_tenant_history.last_at END",
        (*scope, start, attempts, bounces, complaints, at),
    )
    if first_of_day:
        # The rows that left the window go, once a day.
        tx.execute(
            "DELETE FROM ses_tenant_history WHERE account = ? AND region = ? AND tenant = ? "
            "AND start < ?",
            (*scope, at - KEPT_SECONDS),
        )


def split(tx: Transaction, account: str, region: str, tenant: str, at: float) -> None:
    """Begin a new part of the day at ``at``: mail sent after it counts apart."""
    tx.execute(
        "INSERT INTO ses_tenant_history (account, region, tenant, start, attempts, bounces, "
        "complaints, last_at) VALUES (?, ?, ?, ?, 0, 0, 0, 0) ON CONFLICT DO NOTHING",
        (account, region, tenant, at),
    )


def totals(
    tx: Transaction, account: str, region: str, tenant: str, since: float
) -> tuple[Counts, float | None]:
    """The tenant's totals of the parts that began at or after ``since``; and where the
    part that straddles ``since`` ends, when it holds mail: the mailbox must be read for
    (since, that end]."""
    rows = tx.fetchall(
        "SELECT start, attempts, bounces, complaints, last_at FROM ses_tenant_history "
        "WHERE account = ? AND region = ? AND tenant = ? AND start >= ?",
        (account, region, tenant, _day(since)),
    )
    found = Counts()
    straddled = False
    until = _day(since) + DAY_SECONDS
    for start, attempts, bounces, complaints, last_at in rows:
        if float(start) < since:
            straddled = straddled or int(attempts) > 0
            continue
        until = min(until, float(start))
        found.attempts += int(attempts)
        found.bounces += int(bounces)
        found.complaints += int(complaints)
        if int(attempts):
            found.last = max(found.last, float(last_at))
    return found, until if straddled else None


def backfill(tx: Transaction) -> None:
    """Totals for the mail already in the mailbox (a database from before these rows),
    each reinstated tenant's day split at its reinstatement first."""
    for reference, data in tx.fetchall(
        "SELECT reference, data FROM ses_reputation_entities WHERE reference LIKE ?",
        ("%:tenant/%",),
    ):
        status = json.loads(data).get("CustomerManagedStatus") or {}
        if status.get("Status") != "REINSTATED":
            continue
        _, _, _, region, account, rest = str(reference).split(":", 5)
        name = rest.removeprefix("tenant/").split("/", 1)[0]
        split(tx, account, region, name, float(status["LastUpdatedTimestamp"]))
    rows = tx.fetchall(
        "SELECT id, account, region, created_at, status, recipients, data FROM messages "
        "WHERE status IN ('delivered', 'bounced') AND data LIKE ? ORDER BY created_at",
        ('%"tenant"%',),
    )
    for message_id, account, region, at, status, recipients, data in rows:
        details = json.loads(data)
        if not details.get("tenant"):
            continue
        events = [Event("Send", float(at))] + [
            Event(str(kind), float(at))
            for (kind,) in tx.fetchall(
                "SELECT type FROM message_events WHERE message_id = ? "
                "AND type IN ('Bounce', 'Complaint')",
                (message_id,),
            )
        ]
        message = StoredMessage(
            id=str(message_id),
            account=str(account),
            region=str(region),
            created_at=float(at),
            status="bounced" if status == "bounced" else "delivered",
            origin="ses",
            source="",
            recipients=list(json.loads(recipients)),
            subject="",
            raw=None,
            details=details,
        )
        count(tx, message, events)
