"""GetSendStatistics and the account's suppression list: SES accepts mail to a listed
address and counts it as sent, but its bounce or complaint is SES's own, not a
receiver's, and stays out of the bounce and complaint counts (facts §1)."""

from __future__ import annotations

from typing import Any

from tests.ses.suppression.test_suppression_list import ready, send
from tests.support.server import ServerProcess


def totals(live: ServerProcess) -> dict[str, int]:
    points: list[dict[str, Any]] = live.client("ses").get_send_statistics()["SendDataPoints"]
    names = ("DeliveryAttempts", "Bounces", "Complaints", "Rejects")
    return {name: sum(int(point[name]) for point in points) for name in names}


def test_suppressed_recipients_count_as_sent_but_not_as_bounces(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    sesv2.put_suppressed_destination(EmailAddress="angry@example.com", Reason="COMPLAINT")

    send(sesv2, "gone@example.com", "kept@example.com")
    send(sesv2, "angry@example.com")
    assert totals(live) == {"DeliveryAttempts": 3, "Bounces": 0, "Complaints": 0, "Rejects": 0}

    # A receiver's bounce and complaint (the mailbox simulator's) still count.
    send(sesv2, "bounce@simulator.amazonses.com")
    send(sesv2, "complaint@simulator.amazonses.com")
    assert totals(live) == {"DeliveryAttempts": 5, "Bounces": 1, "Complaints": 1, "Rejects": 0}
