"""The SES mailbox simulator: what happens to mail sent to `...@simulator.amazonses.com`.

`success@` is delivered, `bounce@` hard-bounces, `ooto@` is delivered and answered with an
out-of-office reply, `complaint@` is delivered and complained about, `suppressionlist@`
bounces as an address on the suppression list. `+label` variants behave the same.

The details of each outcome carry what SES's own bounce, complaint and delivery objects
carry (docs.aws.amazon.com/ses/latest/dg/notification-contents.html), with the values real
simulator notifications show, so the event records and notifications read them as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from poolmail.ses.identities.coverage import bare_address, is_simulator

Outcome = Literal["delivery", "bounce", "suppressed", "complaint", "ooto"]

_OUTCOMES: dict[str, Outcome] = {
    "success": "delivery",
    "bounce": "bounce",
    "suppressionlist": "suppressed",
    "complaint": "complaint",
    "ooto": "ooto",
}

AUTO_REPLY_SENDER = "ooto@simulator.amazonses.com"

# What the receiving side answered: the simulator's `bounce@` is an SMTP 550 5.1.1 "user
# unknown" (real simulator notifications), a delivery SES's usual 250 answer.
USER_UNKNOWN = "smtp; 550 5.1.1 user unknown"
DELIVERED_RESPONSE = "250 2.6.0 Message received"
# AWS quirk: the global suppression list's bounce names the old guide page and ends with a
# space (real SNS payloads for suppressionlist@simulator.amazonses.com).
GLOBAL_SUPPRESSION_DIAGNOSTIC = (
    "Amazon SES has suppressed sending to this address because it has a recent history of "
    "bouncing as an invalid address. For more information about how to remove an address "
    "from the suppression list, see the Amazon SES Developer Guide: "
    "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html "
)
COMPLAINT_USER_AGENT = "Amazon SES Mailbox Simulator"
# Choice: poolmail's mailbox is the receiving server; its address is the remote MTA's.
REMOTE_MTA_IP = "127.0.0.1"


def outcome(address: str) -> Outcome:
    """What becomes of mail to ``address``; any address outside the simulator is delivered."""
    if not is_simulator(address):
        return "delivery"
    local = bare_address(address).rpartition("@")[0].lower().split("+", 1)[0]
    # Unknown simulator mailboxes bounce, as a mailbox that does not exist would.
    return _OUTCOMES.get(local, "bounce")


def outgoing_host(region: str) -> str:
    """The SES sending host named as reporting MTA, of the shape real notifications show
    (`a8-70.smtp-out.amazonses.com`, `a27-30.smtp-out.us-west-2.amazonses.com`)."""
    if region == "us-east-1":
        return "a8-70.smtp-out.amazonses.com"
    return f"a8-70.smtp-out.{region}.amazonses.com"


def feedback_id(now: float) -> str:
    """An SES feedback id: the shape of a message id (time, uuid, `-000000`)."""
    from poolmail.mail.mailbox import new_message_id

    return new_message_id(now)


def bounce_detail(address: str, result: Outcome, region: str, now: float) -> dict[str, Any]:
    """A Bounce event's detail for a simulator bounce (``bounce`` or ``suppressed``)."""
    if result == "suppressed":
        # The global suppression list bounces without reaching any remote MTA.
        return {
            "recipient": address,
            "bounceType": "Permanent",
            "bounceSubType": "Suppressed",
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": GLOBAL_SUPPRESSION_DIAGNOSTIC,
            "feedbackId": feedback_id(now),
            "reportingMTA": "dns; amazonses.com",
        }
    return {
        "recipient": address,
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "action": "failed",
        "status": "5.1.1",
        "diagnosticCode": USER_UNKNOWN,
        "feedbackId": feedback_id(now),
        "reportingMTA": f"dsn; {outgoing_host(region)}",
        "remoteMtaIp": REMOTE_MTA_IP,
    }


def delivery_detail(address: str, region: str) -> dict[str, Any]:
    """A Delivery event's detail. Choice: poolmail accepts mail at once, so
    ``processingTimeMillis`` is 0."""
    return {
        "recipient": address,
        "smtpResponse": DELIVERED_RESPONSE,
        "reportingMTA": outgoing_host(region),
        "processingTimeMillis": 0,
        "remoteMtaIp": REMOTE_MTA_IP,
    }


def complaint_detail(address: str, now: float) -> dict[str, Any]:
    """A Complaint event's detail, as the simulator's `complaint@` reports it."""
    return {
        "recipient": address,
        "complaintFeedbackType": "abuse",
        "userAgent": COMPLAINT_USER_AGENT,
        "feedbackId": feedback_id(now),
        "arrivalDate": now,
    }
