"""Reading the account's SES sending history for insights: each message sent through
SES with its events, one destination at a time.

Choice: the history is the mailbox's `ses-send` messages (SES v1, v2 and SMTP sends,
refused ones excluded); Cognito's and SES's own mail (verification, simulator replies)
is not the account's sending.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from poolmail.ses.identities.coverage import SIMULATOR_DOMAIN
from poolmail.ses.insights.isp import bare, domain_of
from poolmail.store import Transaction

SENT_KIND = "ses-send"
# Rows read per query, so a long range never holds every message in memory at once.
_CHUNK = 1000


@dataclass(slots=True)
class Sent:
    """One message of the history and its events (type, time, detail), oldest first."""

    id: str
    created_at: float
    source: str
    recipients: list[str]
    subject: str
    details: dict[str, Any]
    events: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)

    @property
    def identity(self) -> str | None:
        found = self.details.get("identity")
        return str(found) if found else None

    @property
    def configuration_set(self) -> str | None:
        found = self.details.get("configuration_set")
        return str(found) if found else None

    @property
    def tenant(self) -> str | None:
        found = self.details.get("tenant")
        return str(found) if found else None

    @property
    def counted(self) -> bool:
        """Whether VDM counts it: one recipient, not the mailbox simulator (the model's
        BatchGetMetricDataQuery.Metric)."""
        return len(self.recipients) == 1 and domain_of(self.recipients[0]) != SIMULATOR_DOMAIN

    def events_for(self, destination: str) -> list[tuple[str, float, dict[str, Any]]]:
        """The events about ``destination``: those naming it, and those of the whole
        message (Send, Reject) that name no recipient."""
        wanted = bare(destination).lower()
        return [
            event
            for event in self.events
            if "recipient" not in event[2] or bare(str(event[2]["recipient"])).lower() == wanted
        ]

    @property
    def has_html(self) -> bool:
        body = self.details.get("body")
        return isinstance(body, dict) and bool(body.get("html"))


def sent_messages(
    tx: Transaction, account: str, region: str, start: float, end: float
) -> Iterator[Sent]:
    """The scope's sent messages whose send time is within [start, end], oldest first."""
    after: tuple[float, str] | None = None
    while True:
        sql = (
            "SELECT id, created_at, source, recipients, subject, data FROM messages "
            "WHERE account = ? AND region = ? AND created_at >= ? AND created_at <= ? "
            "AND kind = ? AND status <> 'rejected'"
        )
        args: list[Any] = [account, region, start, end, SENT_KIND]
        if after is not None:
            sql += " AND (created_at > ? OR (created_at = ? AND id > ?))"
            args += [after[0], after[0], after[1]]
        rows = tx.fetchall(sql + " ORDER BY created_at, id LIMIT ?", [*args, _CHUNK])
        if not rows:
            return
        found = [
            Sent(
                id=str(row[0]),
                created_at=float(row[1]),
                source=str(row[2]),
                recipients=json.loads(row[3]),
                subject=str(row[4]),
                details=json.loads(row[5]),
            )
            for row in rows
        ]
        by_id = {message.id: message for message in found}
        marks = ", ".join("?" for _ in by_id)
        for message_id, kind, at, data in tx.fetchall(
            "SELECT message_id, type, created_at, data FROM message_events "
            f"WHERE message_id IN ({marks}) ORDER BY message_id, position",
            list(by_id),
        ):
            by_id[str(message_id)].events.append((str(kind), float(at), json.loads(data)))
        yield from found
        if len(rows) < _CHUNK:
            return
        after = (found[-1].created_at, found[-1].id)
