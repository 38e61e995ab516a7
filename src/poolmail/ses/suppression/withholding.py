"""What a send to a suppressed address becomes: accepted, counted against the quota, not
sent, and reported as SES reports it; and the addresses its bounces and complaints add."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from poolmail.mail.mailbox import Event, Status
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.suppression import automatic, settings, store
from poolmail.store import Transaction

if TYPE_CHECKING:
    from poolmail.ses.sending.outbound import Outgoing

# The fields SES's bounce for a suppressed recipient carries (facts §1, as public SNS
# payloads show it); `reportingMTA` without `remoteMtaIp`.
DIAGNOSTIC = (
    "Amazon SES did not send the message to this address because it is on the suppression "
    "list for your account. For more information about removing addresses from the "
    "suppression list, see the Amazon SES Developer Guide at "
    "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)
REPORTING_MTA = "dns; amazonses.com"
# What the mailbox simulator and SES's delivery would have produced for a recipient
# that is never sent to.
_OUTCOME_EVENTS = ("Delivery", "Bounce", "Complaint", "AutoReply", "DeliveryDelay")
# The relay's recipients leave out those withheld here (``deliverable``).
_DETAIL = "suppressed"


def withhold(
    tx: Transaction,
    outgoing: Outgoing,
    account: str,
    region: str,
    now: float,
    events: list[Event],
    status: Status,
    listed: Sequence[tuple[Any, ...]] | None = None,
) -> tuple[list[Event], Status]:
    """``events`` with each suppressed recipient's Delivery replaced by its bounce (or
    complaint), and the message's status; unchanged when none is suppressed. The final
    events' hard bounces and complaints then add their addresses to the list.

    AWS quirk: "SES accepts the message, but doesn't send it"; the Send event stays and
    the message counts toward the daily quota (docs: sending-email-suppression-list).
    An address listed for BOUNCE yields a Permanent/OnAccountSuppressionList bounce; one
    listed for COMPLAINT a complaint with complaintSubType OnAccountSuppressionList.
    ``listed`` are the recipients' (address, reason) rows when the caller read them.
    """
    withheld = _suppressed(tx, outgoing, account, region, listed)
    if withheld:
        outgoing.details[_DETAIL] = sorted(withheld)
        events = [
            event
            for event in events
            if not (event.type in _OUTCOME_EVENTS and event.detail.get("recipient") in withheld)
        ]
        events += [_event(address, reason, now) for address, reason in withheld.items()]
        received = [
            address
            for address in outgoing.recipients
            if address not in withheld and _received(address, events)
        ]
        if not received:
            status = "bounced"
    automatic.add_from_events(
        tx, account, region, outgoing.configuration_set, outgoing.message_id, events, now
    )
    return events, status


def _received(address: str, events: list[Event]) -> bool:
    return not any(
        event.type == "Bounce" and event.detail.get("recipient") == address for event in events
    )


def _suppressed(
    tx: Transaction,
    outgoing: Outgoing,
    account: str,
    region: str,
    rows: Sequence[tuple[Any, ...]] | None,
) -> dict[str, str]:
    """Each recipient (as given) whose address is listed for a reason that suppresses
    under the send's settings, with that reason."""
    recipients = outgoing.recipients
    if rows is None:
        listed = store.listed(tx, account, region, [bare_address(r) for r in recipients])
    else:
        listed = {str(address): str(reason) for address, reason in rows}
    if not listed:
        return {}
    enabled = settings.reasons_for(tx, account, region, outgoing.configuration_set)
    found: dict[str, str] = {}
    for address in recipients:
        reason = listed.get(store.normalize(bare_address(address)))
        if reason is not None and reason in enabled:
            found[address] = reason
    return found


def _event(address: str, reason: str, now: float) -> Event:
    detail: dict[str, Any] = {
        "recipient": address,
        "feedbackId": automatic.feedback_id(now),
    }
    if reason == "COMPLAINT":
        # AWS quirk: "accepted the message, but didn't attempt to send it"; no
        # complaintFeedbackType (facts §1).
        detail["complaintSubType"] = "OnAccountSuppressionList"
        return Event("Complaint", now, detail)
    detail.update(
        {
            "bounceType": "Permanent",
            "bounceSubType": "OnAccountSuppressionList",
            # `emailAddress` keeps any display name given (facts §1).
            "emailAddress": address,
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": DIAGNOSTIC,
            "reportingMTA": REPORTING_MTA,
        }
    )
    return Event("Bounce", now, detail)


def deliverable(outgoing: Outgoing, recipients: list[str]) -> list[str]:
    """Of ``recipients``, those the relay may hand ``outgoing`` to: not the suppressed."""
    withheld = set(outgoing.details.get(_DETAIL) or [])
    return [address for address in recipients if address not in withheld]
