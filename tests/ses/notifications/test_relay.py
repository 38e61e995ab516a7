"""With `--relay`, forwarded feedback and SendBounce's DSN reach the real SMTP server with
the null envelope sender, as bounces do."""

from __future__ import annotations

from tests.ses.helpers import simple_message, verify
from tests.ses.test_smtp import Inbox
from tests.support.moto import wait_for
from tests.support.server import ServerProcess


def test_feedback_and_send_bounce_are_relayed_with_the_null_sender(
    relaying: tuple[ServerProcess, Inbox],
) -> None:
    server, handler = relaying
    verify(server, "example.com")
    ses = server.client("ses")
    sent = ses.send_email(
        Source="ann@example.com",
        Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
        Message=simple_message(subject="relayed"),
    )

    def bounces() -> list[tuple[list[str], bytes]]:
        # Its own: mail a test before relayed late may come in too (tests/support/relay.py).
        return [
            (to, data)
            for sender, to, data in handler.received
            if sender in ("", "<>") and to == ["ann@example.com"]
        ]

    assert wait_for(bounces, timeout=30)
    [(to, data)] = bounces()
    assert to == ["ann@example.com"]
    assert b"From: MAILER-DAEMON@amazonses.com" in data
    assert b"Status: 5.1.1" in data

    ses.send_bounce(
        OriginalMessageId=sent["MessageId"],
        BounceSender="postmaster@example.com",
        BouncedRecipientInfoList=[{"Recipient": "x@example.org", "BounceType": "DoesNotExist"}],
    )
    assert wait_for(lambda: len(bounces()) == 2, timeout=30)
    to, data = bounces()[1]
    assert to == ["ann@example.com"]
    assert b"From: postmaster@example.com" in data
    assert b"Final-Recipient: rfc822; x@example.org" in data
