"""Simulated delivery delays: poolmail's stand-in for a receiving server that answers
with a temporary failure. Mail sent to a delayed recipient gets a `DeliveryDelay` event
(in place of its Delivery) with the shape SES publishes
(docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html).

Set through the admin API (server/admin/ses_delays_api.py), for every account: a delay belongs
to the recipient's server, not to a sender.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from poolmail.mail.mailbox import Event
from poolmail.ses.events.notification_records import iso
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import simulator
from poolmail.store import Database, Transaction

# AWS's delayType values (the event reference's table; the same list in many clients).
DELAY_TYPES = (
    "InternalFailure",
    "General",
    "MailboxFull",
    "SpamDetected",
    "RecipientServerError",
    "IPFailure",
    "TransientCommunicationFailure",
    "BYOIPHostNameLookupUnavailable",
    "Undetermined",
    "SendingDeferral",
)
DEFAULT_TYPE = "TransientCommunicationFailure"
DEFAULT_STATUS = "4.4.1"
DEFAULT_DIAGNOSTIC = "smtp; 421 4.4.1 Unable to connect to remote host"
# Choice: SES stops trying after a configuration set's MaxDeliverySeconds, at most 50400 s
# (14 hours, the model's upper bound); a delay expires that long after the send unless
# the admin call says otherwise.
DEFAULT_EXPIRY_SECONDS = 50400.0
_STATUS = re.compile(r"4\.\d{1,3}\.\d{1,3}")


class DelayError(ValueError):
    """A delay that cannot be set; the message says why."""


def key(recipient: str) -> str:
    """The form a recipient's delay is stored and looked up under."""
    return bare_address(recipient).lower()


def checked(body: dict[str, Any]) -> dict[str, Any]:
    """The stored form of an admin request's delay, or ``DelayError``."""
    recipient = body.get("recipient")
    if not isinstance(recipient, str) or "@" not in bare_address(recipient):
        raise DelayError("recipient must be an email address")
    delay_type = body.get("delayType", DEFAULT_TYPE)
    if delay_type not in DELAY_TYPES:
        raise DelayError(f"delayType must be one of {', '.join(DELAY_TYPES)}")
    status = body.get("status", DEFAULT_STATUS)
    if not isinstance(status, str) or not _STATUS.fullmatch(status):
        raise DelayError("status must be a transient status code such as 4.4.1")
    diagnostic = body.get("diagnosticCode", DEFAULT_DIAGNOSTIC)
    if not isinstance(diagnostic, str) or not diagnostic:
        raise DelayError("diagnosticCode must be a non-empty string")
    expiry = body.get("expiresInSeconds", DEFAULT_EXPIRY_SECONDS)
    if isinstance(expiry, bool) or not isinstance(expiry, int | float) or expiry <= 0:
        raise DelayError("expiresInSeconds must be a positive number")
    return {
        "recipient": key(recipient),
        "delayType": delay_type,
        "status": status,
        "diagnosticCode": diagnostic,
        "expiresInSeconds": float(expiry),
    }


def put(db: Database, delay: dict[str, Any], now: float) -> None:
    with db.transaction() as tx:
        tx.execute("DELETE FROM ses_delivery_delays WHERE recipient = ?", (delay["recipient"],))
        tx.execute(
            "INSERT INTO ses_delivery_delays (recipient, created_at, data) VALUES (?, ?, ?)",
            (delay["recipient"], now, json.dumps(delay)),
        )


def listing(db: Database) -> list[dict[str, Any]]:
    with db.transaction(readonly=True) as tx:
        rows = tx.fetchall("SELECT data FROM ses_delivery_delays ORDER BY recipient")
    return [json.loads(row[0]) for row in rows]


def delete(db: Database, recipient: str | None) -> int:
    """Remove the delay of ``recipient``, or every delay; how many were removed."""
    with db.transaction() as tx:
        if recipient is None:
            return tx.execute("DELETE FROM ses_delivery_delays", ())
        return tx.execute("DELETE FROM ses_delivery_delays WHERE recipient = ?", (key(recipient),))


def delayed(
    tx: Transaction,
    events: list[Event],
    region: str,
    now: float,
    stored: Sequence[tuple[Any, ...]] | None = None,
) -> list[Event]:
    """``events`` with the Delivery of each delayed recipient replaced by its
    DeliveryDelay. One primary-key query when any recipient was delivered, none when the
    caller read the recipients' (recipient, data) rows already (``stored``)."""
    delivered = {
        key(str(event.detail.get("recipient", ""))): index
        for index, event in enumerate(events)
        if event.type == "Delivery"
    }
    if not delivered:
        return events
    if stored is not None:
        rows = [row for row in stored if row[0] in delivered]
    else:
        keys = sorted(delivered)
        marks = ", ".join("?" for _ in keys)
        rows = tx.fetchall(
            f"SELECT recipient, data FROM ses_delivery_delays WHERE recipient IN ({marks})", keys
        )
    if not rows:
        return events
    replaced = list(events)
    for recipient, data in rows:
        delay = json.loads(data)
        index = delivered[recipient]
        address = str(events[index].detail.get("recipient", recipient))
        replaced[index] = Event(
            "DeliveryDelay",
            now,
            {
                "recipient": address,
                "delayType": delay["delayType"],
                "expirationTime": iso(now + float(delay["expiresInSeconds"])),
                "delayedRecipients": [
                    {
                        "emailAddress": address,
                        "status": delay["status"],
                        "diagnosticCode": delay["diagnosticCode"],
                    }
                ],
                "reportingMTA": simulator.outgoing_host(region),
            },
        )
    return replaced
