"""Addresses SES adds to the account's suppression list by itself: those of a message's
hard bounces and complaints, when the reason is enabled for the send."""

from __future__ import annotations

from collections.abc import Sequence

from poolmail.mail import mailbox
from poolmail.mail.mailbox import Event
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import simulator
from poolmail.ses.suppression import settings, store
from poolmail.store import Transaction

# Bounces that are no hard bounce of the address itself: SES's own suppressions (the
# account list's, and the global list's that `suppressionlist@simulator.amazonses.com`
# stands for: "the global list", not the account's) add nothing.
_NOT_ADDED_SUBTYPES = ("OnAccountSuppressionList", "Suppressed")


def _reason_of(event: Event) -> str | None:
    detail = event.detail
    if event.type == "Bounce":
        if detail.get("bounceType") != "Permanent":
            return None
        if detail.get("bounceSubType") in _NOT_ADDED_SUBTYPES:
            return None
        # Mail withheld from an unsubscribed contact (contacts/list_management.py) was
        # never sent: no address bounced.
        if detail.get("reason") == "unsubscribed":
            return None
        return "BOUNCE"
    if event.type == "Complaint" and detail.get("complaintSubType") is None:
        return "COMPLAINT"
    return None


def feedback_id(now: float) -> str:
    """An SES-shaped feedback id (`<time>-<uuid>-000000`, facts §1), as message ids are."""
    return mailbox.new_message_id(now)


def add_from_events(
    tx: Transaction,
    account: str,
    region: str,
    configuration_set: str | None,
    message_id: str,
    events: Sequence[Event],
    now: float,
) -> None:
    """List the recipients of ``events``' hard bounces and complaints, each for its
    reason if the send's settings (the set's override, else the account's) enable it.

    AWS quirk: "if a message results in a hard bounce or complaint, SES adds the address
    to your account-level suppression list" when that reason is enabled, and the
    configuration set's override "also decides which reasons add addresses"
    (docs: sending-email-suppression-list, -config-level). A bounce or complaint without
    a feedbackId gets one here, so the event published and the listing's Attributes
    name the same one.
    """
    found = [(event, reason) for event in events if (reason := _reason_of(event)) is not None]
    if not found:
        return
    enabled = settings.reasons_for(tx, account, region, configuration_set)
    for event, reason in found:
        recipient = event.detail.get("recipient")
        if reason not in enabled or not isinstance(recipient, str):
            continue
        if simulator.outcome(recipient) == "suppressed":
            continue
        event.detail.setdefault("feedbackId", feedback_id(now))
        store.put_destination(
            tx,
            account,
            region,
            bare_address(recipient),
            reason,
            now,
            message_id=message_id,
            feedback_id=str(event.detail["feedbackId"]),
        )
