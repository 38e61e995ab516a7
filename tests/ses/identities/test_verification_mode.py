"""`--ses-identity-verification auto`: new identities are verified at once, as moto and
LocalStack treat them, with no verification mail; `real` (the default) is AWS's way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ses.helpers import messages, simple_message
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def auto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("auto-verification")
    server = ServerProcess(
        ["--data-dir", str(data_dir), "--ses-identity-verification", "auto"]
    ).start()
    yield server
    server.stop()


def test_new_identities_are_verified_at_once(auto_server: ServerProcess) -> None:
    auto_server.reset()
    ses = auto_server.client("ses")
    ses.verify_email_identity(EmailAddress="sender@example.com")
    ses.verify_domain_identity(Domain="Example.org")
    ses.verify_domain_dkim(Domain="example.org")
    attributes = ses.get_identity_verification_attributes(
        Identities=["sender@example.com", "example.org"]
    )["VerificationAttributes"]
    assert attributes["sender@example.com"]["VerificationStatus"] == "Success"
    assert attributes["example.org"]["VerificationStatus"] == "Success"
    dkim = ses.get_identity_dkim_attributes(Identities=["example.org"])["DkimAttributes"]
    assert dkim["example.org"]["DkimVerificationStatus"] == "Success"
    # No link to click, so no mail either.
    assert messages(auto_server, kind="ses-verification") == []

    sesv2 = auto_server.client("sesv2")
    created = sesv2.create_email_identity(EmailIdentity="other@example.net")
    assert created["VerifiedForSendingStatus"] is True
    assert sesv2.get_email_identity(EmailIdentity="other@example.net")["VerificationStatus"] == (
        "SUCCESS"
    )
    # The sandbox still applies: verified addresses only.
    ses.send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["other@example.net"]},
        Message=simple_message(),
    )
    with pytest.raises(ses.exceptions.MessageRejected):
        ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["stranger@example.com.au"]},
            Message=simple_message(),
        )


def test_real_verification_is_the_default(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="sender@example.com")
    attributes = ses.get_identity_verification_attributes(Identities=["sender@example.com"])
    assert attributes["VerificationAttributes"]["sender@example.com"]["VerificationStatus"] == (
        "Pending"
    )
    assert len(messages(live, kind="ses-verification")) == 1
