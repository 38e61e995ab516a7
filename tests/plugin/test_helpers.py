"""The plugin's helpers against the session's server (the `poolmail` fixture, as the
project's own tests use it): what they return, and the errors they raise when nothing
comes, which name what was looked for and show what there was instead."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

from poolmail.testing import (
    NotFoundError,
    Poolmail,
    PoolmailError,
    PoolmailServer,
    ServerStartError,
    WaitTimeoutError,
)

SENDER = "sender@example.com"
SIMULATOR = "success@simulator.amazonses.com"


def send(poolmail: Poolmail, subject: str, to: str = SIMULATOR) -> str:
    sent = poolmail.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": "Hi there"}}},
    )
    message_id: str = sent["MessageId"]
    return message_id


def test_waiting_for_mail_that_never_comes_says_what_came_instead(poolmail: Poolmail) -> None:
    poolmail.verify_identity(SENDER)
    send(poolmail, "For someone else")
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as waited:
        poolmail.wait_for_message("jane@example.com", timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 5
    assert str(waited.value) == (
        "no message (to jane@example.com) arrived within 0.3 s since the state was reset. "
        "The mailbox holds, newest first:\n"
        f"  - to {SIMULATOR}: 'For someone else' (ses-send, delivered)"
    )
    assert isinstance(waited.value, TimeoutError)


def test_a_rejected_message_shows_why(poolmail: Poolmail) -> None:
    poolmail.verify_identity(SENDER)
    with pytest.raises(poolmail.client("ses").exceptions.MessageRejected):
        send(poolmail, "Sandboxed", to="jane@example.com")
    with pytest.raises(WaitTimeoutError, match="Email address is not verified"):
        poolmail.wait_for_message("jane@example.com", status="delivered", timeout=0)


def test_each_wait_returns_a_newer_message(poolmail: Poolmail) -> None:
    poolmail.verify_identity(SENDER)
    poolmail.grant_production_access()  # more than one message a second
    first = send(poolmail, "one")
    assert poolmail.wait_for_message(SIMULATOR)["id"] == first
    # Sent while the helper waits: the long poll answers as it arrives.
    later: list[str] = []
    timer = threading.Timer(0.3, lambda: later.append(send(poolmail, "two")))
    timer.start()
    waited = poolmail.wait_for_message(SIMULATOR, timeout=10)
    timer.join()
    assert (waited["id"], waited["subject"], waited["text"]) == (later[0], "two", "Hi there\n")
    with pytest.raises(WaitTimeoutError, match=r"within 0 s after \d{4}-\d\d-\d\dT"):
        poolmail.wait_for_message(SIMULATOR, timeout=0)
    # Other filters keep cursors of their own; `since` picks the start.
    assert poolmail.wait_for_message(SIMULATOR, kind="ses-send")["id"] == later[0]
    assert poolmail.wait_for_message(SIMULATOR, since=1.0)["id"] == later[0]
    assert poolmail.latest_message(SIMULATOR)["id"] == later[0]
    assert [message["subject"] for message in poolmail.messages(SIMULATOR)] == ["two", "one"]


def test_nothing_found_says_where_it_looked(poolmail: Poolmail) -> None:
    with pytest.raises(NotFoundError) as latest:
        poolmail.latest_message("jane@example.com")
    assert str(latest.value) == (
        "no message (to jane@example.com) in the mailbox. The mailbox is empty."
    )
    with pytest.raises(NotFoundError) as code:
        poolmail.latest_code("us-east-1_AbCdEfGhI", "jane")
    assert str(code.value) == (
        "no Cognito mail or text to jane in us-east-1_AbCdEfGhI. The mailbox is empty. "
        "The SMS outbox is empty."
    )
    with pytest.raises(NotFoundError, match=r"no text \(to \+15555550100\) in the SMS outbox"):
        poolmail.latest_sms("+15555550100")
    with pytest.raises(WaitTimeoutError, match=r"no text \(to \+15555550100\) arrived within"):
        poolmail.wait_for_sms("+15555550100", timeout=0)


def signed_up_user(poolmail: Poolmail, domain: str | None = None, **pool: object) -> str:
    """A pool that verifies email (with `pool`'s settings and `domain`), and jane signed
    up: its id."""
    cognito = poolmail.client("cognito-idp")
    pool_id: str = cognito.create_user_pool(
        PoolName="shop", AutoVerifiedAttributes=["email"], **pool
    )["UserPool"]["Id"]
    if domain is not None:  # a link points to the pool's domain
        cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.sign_up(
        ClientId=client_id,
        Username="jane",
        Password="Correct-Horse-9",
        UserAttributes=[{"Name": "email", "Value": "jane@example.com"}],
    )
    return pool_id


def test_a_code_and_a_link(poolmail: Poolmail) -> None:
    by_code = signed_up_user(poolmail)
    code = poolmail.latest_code(by_code, "jane")
    assert code.isdigit()
    assert poolmail.latest_cognito_message(by_code, "jane")["medium"] == "EMAIL"
    with pytest.raises(NotFoundError, match=f"has no link; it has a code: {code}"):
        poolmail.latest_link(by_code, "jane")

    by_link = signed_up_user(
        poolmail,
        domain="shop-links",
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_LINK",
            "EmailMessageByLink": "Please click {##Verify Email##}",
        },
    )
    link = poolmail.latest_link(by_link, "jane")
    assert "/confirmUser?" in link
    assert poolmail.latest_code(by_link, "jane") in link


def test_verify_identity_creates_and_verifies_without_mail(poolmail: Poolmail) -> None:
    poolmail.verify_identity("orders@example.com")
    poolmail.verify_identity("orders@example.com")  # already there: verified again
    poolmail.verify_identity("example.org", region="eu-west-1", account="111122223333")
    ses = poolmail.client("ses")
    status = ses.get_identity_verification_attributes(Identities=["orders@example.com"])
    assert status["VerificationAttributes"]["orders@example.com"]["VerificationStatus"] == (
        "Success"
    )
    other = poolmail.client("sesv2", region="eu-west-1", account="111122223333")
    assert other.get_email_identity(EmailIdentity="example.org")["VerifiedForSendingStatus"]
    # The verification mail SES sent on the way is not left in the mailbox.
    assert poolmail.messages() == []


def test_production_access_and_the_clock(poolmail: Poolmail) -> None:
    account = poolmail.grant_production_access(region="eu-west-1")
    assert (account["region"], account["sandbox"]) == ("eu-west-1", False)
    assert poolmail.client("sesv2", region="eu-west-1").get_account()["ProductionAccessEnabled"]
    before = poolmail.now()
    after = poolmail.advance_clock(86_400)
    assert after - before >= 86_400
    with pytest.raises(PoolmailError, match="advance_seconds must be a number >= 0") as refused:
        poolmail.advance_clock(-1)
    assert (refused.value.status, refused.value.code) == (400, "InvalidRequest")


def test_a_reset_empties_state_and_puts_the_clock_back(poolmail: Poolmail) -> None:
    # What the `poolmail` fixture does before each test.
    poolmail.client("cognito-idp").create_user_pool(PoolName="gone")
    poolmail.advance_clock(3 * 86_400)
    poolmail.reset()
    assert poolmail.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []
    assert abs(poolmail.now() - time.time()) < 3600


def test_the_sdk_environment_points_at_the_server(
    poolmail_env: Poolmail, poolmail_server: PoolmailServer
) -> None:
    for name in (
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL_SES",
        "AWS_ENDPOINT_URL_SESV2",
    ):
        assert os.environ[name] == poolmail_server.url
    assert "AWS_PROFILE" not in os.environ
    assert boto3.client("cognito-idp").list_user_pools(MaxResults=1)["UserPools"] == []
    assert boto3.client("sesv2").get_account()["ProductionAccessEnabled"] is False
    assert boto3.client("ses").list_identities()["Identities"] == []


def test_clients_ignore_the_developers_aws_configuration(
    poolmail_server: PoolmailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-north-1\nmax_attempts = 9\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    fresh = PoolmailServer(poolmail_server.url)
    cognito = fresh.client("cognito-idp")
    assert cognito.meta.region_name == "us-east-1"
    assert cognito.list_user_pools(MaxResults=1)["UserPools"] == []


def test_a_server_that_cannot_start_shows_its_output(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError) as failed:
        PoolmailServer.start(tmp_path, ["--ses-sandbox", "maybe"])
    text = str(failed.value)
    assert "exited with code 2" in text
    assert "invalid choice: 'maybe'" in text
    assert str(tmp_path / "server.log") in text


def test_a_server_stops_cleanly(tmp_path: Path) -> None:
    server = PoolmailServer.start(tmp_path)
    assert server.health()["status"] == "ok"
    assert server.stop() == 0
    with pytest.raises(PoolmailError, match=f"cannot reach poolmail at {server.url}"):
        server.health()
    assert server.stop() is None


def test_importing_the_plugin_loads_no_sdk() -> None:
    code = (
        "import sys, poolmail.pytest_plugin\n"
        "print(sorted(name for name in ('boto3', 'botocore', 'urllib.request', "
        "'poolmail.testing') if name in sys.modules))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert ran.stdout.strip() == "[]"
