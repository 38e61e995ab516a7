"""With `--relay`, a message to a suppressed address reaches the real SMTP server only
for its other recipients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import BACKENDS
from tests.ses.helpers import simple_message, verify
from tests.ses.test_smtp import Inbox, free_port, wait_for
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


def test_suppressed_recipients_are_not_relayed(relaying: tuple[ServerProcess, Inbox]) -> None:
    server, handler = relaying
    server.reset()
    handler.received.clear()
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
