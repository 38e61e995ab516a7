"""SMTP both ways: relaying delivered mail to a real SMTP server, and accepting mail over
SMTP like SES's SMTP interface."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.ses.helpers import messages, simple_message, verify
from tests.support.relay import Inbox, free_port, smtp_inbox
from tests.support.server import ServerProcess


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as running:
        yield running


def wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_delivered_mail_is_relayed_to_a_real_smtp_server(
    inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    handler, port = inbox
    server = ServerProcess(
        ["--data-dir", str(tmp_path), "--relay", f"smtp://127.0.0.1:{port}", "--ses-sandbox", "off"]
    ).start()
    try:
        verify(server, "sender@example.com")
        sent = server.client("ses").send_email(
            Source="Sender <sender@example.com>",
            Destination={
                "ToAddresses": ["reader@example.org"],
                "BccAddresses": ["success@simulator.amazonses.com"],
            },
            Message=simple_message(subject="relayed"),
        )
        wait_for(lambda: handler.received)
        envelope_from, recipients, content = handler.received[-1]
        assert envelope_from == "sender@example.com"
        assert recipients == ["reader@example.org"]
        assert b"Subject: relayed" in content
        assert f"<{sent['MessageId']}@email.amazonses.com>".encode() in content
        events = httpx.get(f"{server.url}/_poolmail/messages/{sent['MessageId']}/events").json()
        assert [event["type"] for event in events["events"]][-1] == "Relayed"
    finally:
        server.stop()


def test_a_relay_that_is_down_is_recorded_not_fatal(tmp_path: Path) -> None:
    port = free_port()
    server = ServerProcess(
        ["--data-dir", str(tmp_path), "--relay", f"smtp://127.0.0.1:{port}", "--ses-sandbox", "off"]
    ).start()
    try:
        verify(server, "sender@example.com")
        sent = server.client("ses").send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["reader@example.org"]},
            Message=simple_message(),
        )
        events = httpx.get(f"{server.url}/_poolmail/messages/{sent['MessageId']}/events").json()
        assert events["events"][-1]["type"] == "RelayFailed"
    finally:
        server.stop()


def mail(sender: str, recipient: str, subject: str = "over smtp") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content("sent with smtplib")
    return message


def test_smtp_interface_accepts_and_refuses_like_ses(tmp_path: Path) -> None:
    port = free_port()
    server = ServerProcess(["--data-dir", str(tmp_path), "--smtp-port", str(port)]).start()
    try:
        verify(server, "sender@example.com")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.login("AKIDSMTPUSER", "secret")
            client.send_message(mail("sender@example.com", "success@simulator.amazonses.com"))
            with pytest.raises(smtplib.SMTPDataError) as excinfo:
                client.send_message(mail("sender@example.com", "success@simulator.amazonses.com"))
            assert excinfo.value.smtp_code == 454
            assert excinfo.value.smtp_error == b"Throttling failure: Maximum sending rate exceeded"
        stored = messages(server, kind="ses-send", status="delivered")
        assert [(m["origin"], m["subject"]) for m in stored] == [("smtp", "over smtp")]
        httpx.post(f"{server.url}/_poolmail/clock", json={"advance_seconds": 2})
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPDataError) as excinfo:
                client.send_message(mail("sender@example.com", "stranger@example.org"))
            assert excinfo.value.smtp_code == 554
            assert excinfo.value.smtp_error.decode() == (
                "Message rejected: Email address is not verified. The following identities "
                "failed the check in region US-EAST-1: stranger@example.org"
            )
    finally:
        server.stop()
