"""Email verification by link: the mail AWS sends, the 24-hour window, the admin shortcut."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest

from poolmail.clock import SystemClock
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.ses.identities import identities, verification
from poolmail.store import Database, Row, open_database
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

DAY = 24 * 3600


def links(server: ServerProcess, identity: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/_poolmail/ses/verification-links", params={"identity": identity}
    )
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["links"]
    return found


def status(server: ServerProcess, identity: str) -> str | None:
    attributes = server.client("ses").get_identity_verification_attributes(Identities=[identity])
    entry = attributes["VerificationAttributes"].get(identity)
    return None if entry is None else str(entry["VerificationStatus"])


def test_opening_the_link_verifies_the_address(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    ses.verify_email_identity(EmailAddress="Owner@example.com")
    [sent] = links(live, "Owner@example.com")
    assert sent["identity"] == "Owner@example.com"
    assert sent["link"].startswith(f"{live.url}/_poolmail/ses/verify/")

    page = httpx.get(sent["link"])
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "successfully verified" in page.text and "Owner@example.com" in page.text

    assert status(live, "Owner@example.com") == "Success"
    got = sesv2.get_email_identity(EmailIdentity="Owner@example.com")
    assert (got["VerificationStatus"], got["VerifiedForSendingStatus"]) == ("SUCCESS", True)
    assert ses.list_verified_email_addresses()["VerifiedEmailAddresses"] == ["Owner@example.com"]
    listed = sesv2.list_email_identities()["EmailIdentities"]
    assert [(item["VerificationStatus"], item["SendingEnabled"]) for item in listed] == [
        ("SUCCESS", True)
    ]


def test_a_link_opened_after_24_hours_leaves_the_address_failed(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="late@example.com")
    [sent] = links(live, "late@example.com")
    advance(live, DAY + 1)
    # The window is over even before anyone clicks.
    assert status(live, "late@example.com") == "Failed"
    assert (
        live.client("sesv2").get_email_identity(EmailIdentity="late@example.com")[
            "VerificationStatus"
        ]
        == "FAILED"
    )

    page = httpx.get(sent["link"])
    assert page.status_code == 410
    assert "expired" in page.text
    assert status(live, "late@example.com") == "Failed"

    # Verifying again mails a new link and starts a new window.
    ses.verify_email_identity(EmailAddress="late@example.com")
    assert status(live, "late@example.com") == "Pending"
    newest, oldest = links(live, "late@example.com")
    assert oldest["link"] == sent["link"] and newest["sent_at"] > oldest["sent_at"]
    assert httpx.get(newest["link"]).status_code == 200
    assert status(live, "late@example.com") == "Success"


def test_an_old_expired_link_does_not_fail_a_newer_verification(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="again@example.com")
    advance(live, DAY + 1)
    ses.verify_email_identity(EmailAddress="again@example.com")
    newest, oldest = links(live, "again@example.com")
    assert httpx.get(oldest["link"]).status_code == 410
    assert status(live, "again@example.com") == "Pending"
    assert httpx.get(newest["link"]).status_code == 200
    assert status(live, "again@example.com") == "Success"


def test_a_link_opened_just_within_24_hours_still_works(live: ServerProcess) -> None:
    live.client("ses").verify_email_identity(EmailAddress="slow@example.com")
    [sent] = links(live, "slow@example.com")
    advance(live, DAY - 60)
    assert httpx.get(sent["link"]).status_code == 200
    advance(live, 3 * DAY)
    assert status(live, "slow@example.com") == "Success"


def test_verifying_a_verified_address_again_keeps_it_verified(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="twice@example.com")
    assert httpx.get(links(live, "twice@example.com")[0]["link"]).status_code == 200
    ses.verify_email_identity(EmailAddress="twice@example.com")
    assert status(live, "twice@example.com") == "Success"
    assert len(links(live, "twice@example.com")) == 2


def test_v2_create_mails_a_link_too(live: ServerProcess) -> None:
    live.client("sesv2").create_email_identity(EmailIdentity="v2@example.com")
    [sent] = links(live, "v2@example.com")
    assert httpx.get(sent["link"]).status_code == 200
    assert status(live, "v2@example.com") == "Success"


def test_unknown_links_and_links_of_deleted_identities(live: ServerProcess) -> None:
    assert httpx.get(f"{live.url}/_poolmail/ses/verify/nonsense").status_code == 404
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="deleted@example.com")
    [sent] = links(live, "deleted@example.com")
    ses.delete_identity(Identity="deleted@example.com")
    assert links(live, "deleted@example.com") == []
    assert httpx.get(sent["link"]).status_code == 404
    assert ses.list_identities()["Identities"] == []


def test_verification_mail_ignores_the_sandbox_and_quota(live: ServerProcess) -> None:
    ses = live.client("ses")
    for number in range(3):
        ses.verify_email_identity(EmailAddress=f"user{number}@example.com")
    assert ses.get_send_quota()["SentLast24Hours"] == 0
    assert all(len(links(live, f"user{number}@example.com")) == 1 for number in range(3))


def test_admin_shortcut_verifies_at_once(live: ServerProcess) -> None:
    url = f"{live.url}/_poolmail/ses/identities/verify"
    unknown = httpx.post(url, json={"identity": "who@example.com"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "NotFound"
    assert httpx.post(url, content=b"[1]").status_code == 400
    assert httpx.post(url, json={"identity": 5}).status_code == 400

    live.client("ses").verify_domain_identity(Domain="shortcut.example")
    answer = httpx.post(url, json={"identity": "Shortcut.EXAMPLE", "region": "us-east-1"})
    assert answer.status_code == 200
    assert status(live, "shortcut.example") == "Success"
    eu = httpx.post(url, json={"identity": "shortcut.example", "region": "eu-west-1"})
    assert eu.status_code == 404


# --- units: the mail itself, and rows keeping other modules' keys ------------------------


class RecordingTransaction:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Sequence[Any]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.statements.append((sql, params))
        return 1

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return []


@pytest.mark.parametrize(
    ("region", "region_name"),
    [("us-east-1", "US East (N. Virginia)"), ("eu-west-1", "Europe (Ireland)")],
)
def test_the_verification_mail(region: str, region_name: str) -> None:
    tx = RecordingTransaction()
    link = verification.send_verification_mail(
        tx,
        account="123456789012",
        region=region,
        address="Someone@example.com",
        base_url="http://127.0.0.1:4747",
        now=1_700_000_000.0,
    )
    assert link.startswith("http://127.0.0.1:4747/_poolmail/ses/verify/")
    [message_row] = [params for sql, params in tx.statements if "INTO messages" in sql]
    subject = (
        "Amazon Web Services \N{EN DASH} Email Address Verification Request in region "
        + region_name
    )
    assert message_row[4:9] == (
        "delivered",
        "ses",
        "no-reply-aws@amazon.com",
        '["Someone@example.com"]',
        subject,
    )
    assert json.loads(message_row[9]) == {
        "kind": "ses-verification",
        "identity": "Someone@example.com",
        "link": link,
    }
    parsed = message_from_bytes(message_row[10], policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["From"] == "no-reply-aws@amazon.com"
    assert parsed["To"] == "Someone@example.com"
    assert parsed["Subject"] == subject
    body = parsed.get_body(("plain",))
    assert body is not None and link in body.get_content()
    # One INSERT of five columns a row: each row's type is its third value.
    events = [
        params[position]
        for sql, params in tx.statements
        if "INTO message_events" in sql
        for position in range(2, len(params), 5)
    ]
    assert events == ["Send", "Delivery"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(data_dir=str(tmp_path))
    yield database
    database.close()


def test_state_changes_keep_other_keys_of_the_row(db: Database) -> None:
    ctx = RequestContext(
        service="ses",
        operation="VerifyEmailIdentity",
        account_id="123456789012",
        region="us-east-1",
        request_id="r",
        signed=True,
        db=db,
        clock=SystemClock(),
        settings=Settings(),
        base_url="http://127.0.0.1:4747",
    )
    policies = {"Policies": {"cognito": '{"Version": "2012-10-17"}'}}
    identities.verify_email_identity(ctx, {"EmailAddress": "p@example.com"})
    identities.verify_domain_identity(ctx, {"Domain": "p.example"})
    for name in ("p@example.com", "p.example"):
        with db.transaction() as tx:
            verification.update_data(tx, "123456789012", "us-east-1", name, policies)

    identities.verify_email_identity(ctx, {"EmailAddress": "p@example.com"})
    identities.verify_domain_dkim(ctx, {"Domain": "p.example"})
    verification.mark_verified(db, "123456789012", "us-east-1", "p@example.com", 0.0)
    with db.transaction() as tx:
        rows = tx.fetchall("SELECT identity, data FROM ses_identities ORDER BY identity")
    for _, data in rows:
        assert json.loads(data)["Policies"] == policies["Policies"]
