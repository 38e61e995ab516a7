"""The mailbox calls an end-to-end test makes: the latest message, and waiting for one."""

from __future__ import annotations

import threading
import time

import httpx

from tests.ses.helpers import simple_message, verify
from tests.support.server import ServerProcess


def send(server: ServerProcess, subject: str) -> str:
    sent = server.client("ses").send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Message=simple_message(subject=subject),
    )
    message_id: str = sent["MessageId"]
    return message_id


def test_latest_message_for_a_recipient(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    assert (
        httpx.get(
            f"{live.url}/_poolmail/messages/latest",
            params={"recipient": "success@simulator.amazonses.com"},
        ).status_code
        == 404
    )
    message_id = send(live, "one")
    latest = httpx.get(
        f"{live.url}/_poolmail/messages/latest",
        params={"recipient": "success@simulator.amazonses.com"},
    ).json()
    assert (latest["id"], latest["subject"], latest["text"]) == (message_id, "one", "Hi there\n")
    verification = httpx.get(
        f"{live.url}/_poolmail/messages/latest",
        params={"recipient": "sender@example.com", "kind": "ses-verification"},
    ).json()
    assert verification["details"]["link"].startswith(f"{live.url}/_poolmail/ses/verify/")


def test_wait_returns_the_next_message_or_times_out(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    params = {"recipient": "success@simulator.amazonses.com", "timeout": "0.3"}
    started = time.monotonic()
    timed_out = httpx.get(f"{live.url}/_poolmail/messages/wait", params=params)
    assert timed_out.status_code == 408
    assert time.monotonic() - started >= 0.3

    sent: list[str] = []
    sender = threading.Timer(0.5, lambda: sent.append(send(live, "later")))
    sender.start()
    waited = httpx.get(
        f"{live.url}/_poolmail/messages/wait",
        params={**params, "timeout": "10"},
        timeout=15,
    )
    sender.join()
    assert waited.status_code == 200
    assert waited.json()["id"] == sent[0]
    assert waited.json()["subject"] == "later"
