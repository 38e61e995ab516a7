"""With `--relay`, a message to a suppressed address reaches the real SMTP server only
for its other recipients."""

from __future__ import annotations

import httpx

from tests.ses.helpers import simple_message, verify
from tests.ses.test_smtp import Inbox, wait_for
from tests.support.server import ServerProcess


def test_suppressed_recipients_are_not_relayed(relaying: tuple[ServerProcess, Inbox]) -> None:
    server, handler = relaying
    verify(server, "sender@example.com")
    sesv2 = server.client("sesv2")
    sesv2.put_suppressed_destination(EmailAddress="gone@example.org", Reason="BOUNCE")
    sent = server.client("ses").send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["gone@example.org", "reader@example.org"]},
        Message=simple_message(subject="relayed"),
    )

    # Other mail may be relayed too (the bounce forwarded to the sender, say).
    def relayed_mail() -> list[list[str]]:
        return [to for sender, to, _ in handler.received if sender == "sender@example.com"]

    wait_for(relayed_mail)
    [recipients] = relayed_mail()
    assert recipients == ["reader@example.org"]
    found = httpx.get(f"{server.url}/_poolmail/messages/{sent['MessageId']}/events").json()
    relayed = [event for event in found["events"] if event["type"] == "Relayed"]
    assert relayed[0]["recipients"] == ["reader@example.org"]
