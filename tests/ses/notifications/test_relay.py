"""With `--relay`, forwarded feedback and SendBounce's DSN reach the real SMTP server with
the null envelope sender, as bounces do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import BACKENDS
from tests.ses.helpers import simple_message, verify
from tests.ses.test_smtp import Inbox, free_port
from tests.support.moto import wait_for
from tests.support.server import ServerProcess, serving


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def relaying(
    request: pytest.FixtureRequest, inbox: tuple[Inbox, int]
) -> Iterator[tuple[ServerProcess, Inbox]]:
    handler, port = inbox
    options = ["--relay", f"smtp://127.0.0.1:{port}", "--ses-sandbox", "off"]
    with serving(request.param, options) as server:
        yield server, handler


def test_feedback_and_send_bounce_are_relayed_with_the_null_sender(
    relaying: tuple[ServerProcess, Inbox],
) -> None:
    server, handler = relaying
    server.reset()
    handler.received.clear()
    verify(server, "example.com")
    ses = server.client("ses")
    sent = ses.send_email(
        Source="ann@example.com",
        Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
        Message=simple_message(subject="relayed"),
    )

    def bounces() -> list[tuple[list[str], bytes]]:
        return [(to, data) for sender, to, data in handler.received if sender in ("", "<>")]

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
