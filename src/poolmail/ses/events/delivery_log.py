"""The delivery log of event publishing: every event record poolmail published to an event
destination, with its delivery status and attempts, read from the outbox (the one
place they are kept) for poolmail's API and console."""

from __future__ import annotations

from typing import Any

from poolmail.aws_services import outbox
from poolmail.ses.events import targets
from poolmail.store import Transaction


def entries(
    tx: Transaction,
    *,
    account: str | None = None,
    region: str | None = None,
    configuration_set: str | None = None,
    message_id: str | None = None,
    validations: bool = False,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Published events, newest first, narrowed by what is given; with ``validations``
    also SES's validation messages to new SNS destinations."""
    found = []
    for record in outbox.listing(tx, source_prefix=targets.SOURCE, owner=message_id, limit=limit):
        target = dict(record["target"])
        if record["source"] != targets.SOURCE and not validations:
            continue
        if account is not None and record["account"] != account:
            continue
        if region is not None and record["region"] != region and target.get("region") != region:
            continue
        if configuration_set is not None and target.get("configuration_set") != configuration_set:
            continue
        found.append(
            {
                "id": record["id"],
                "account": record["account"],
                "message_id": target.pop("message_id", None),
                "event_type": target.pop("event_type", None),
                "configuration_set": target.pop("configuration_set", None),
                "destination": target.pop("destination", None),
                "service": record["service"],
                "target": target,
                "region": record["region"],
                "created_at": record["created_at"],
                "status": record["status"],
                "delivered_at": record["delivered_at"],
                "next_attempt_at": record["next_attempt_at"],
                "last_error": record["last_error"],
                "attempts": record["attempts"],
                "record": record["payload"],
            }
        )
    return found
