"""SES's refusals of malformed addresses, in AWS's words, and the DKIM attributes of a
domain that never turned Easy DKIM on."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import simple_message, verify
from tests.ses.sending.test_sending import error_of
from tests.support.server import ServerProcess


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        # boto/boto#351, anymail/django-anymail#281: no address in the text.
        ("resource_owner", "Missing final '@domain'"),
        # arithmetic/aws-lambda-ses-forwarder#103.
        ("@example.com", "Missing local name"),
        # brave/accounts#35: a trailing dot leaves the domain's last label empty.
        ("francois@brave.com.", "Missing domain"),
        ("someone@", "Missing domain"),
    ],
)
def test_malformed_recipients_v1(live: ServerProcess, recipient: str, message: str) -> None:
    verify(live, "sender@example.com")
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": [recipient]},
            Message=simple_message(),
        )
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


def test_malformed_source_and_v2(live: ServerProcess) -> None:
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_email(
            Source="nobody",
            Destination={"ToAddresses": ["someone@example.com"]},
            Message=simple_message(),
        )
    assert error_of(excinfo) == ("InvalidParameterValue", "Missing final '@domain'", 400)
    verify(live, "sender@example.com")
    with pytest.raises(ClientError) as excinfo:
        live.client("sesv2").send_email(
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": ["resource_owner"]},
            Content={"Simple": simple_message()},
        )
    assert error_of(excinfo) == ("BadRequestException", "Missing final '@domain'", 400)


def test_a_domain_without_easy_dkim_shows_it_off(live: ServerProcess) -> None:
    # The AWS CLI's example output shows an identity that never started DKIM as
    # DkimEnabled false, NotStarted, with no tokens; k1LoW/awspec#52 shows the same for a
    # domain. SES v2 answers alike for the same identity.
    verify(live, "plain.example.org")
    dkim = live.client("ses").get_identity_dkim_attributes(Identities=["plain.example.org"])
    assert dkim["DkimAttributes"] == {
        "plain.example.org": {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}
    }
    identity = live.client("sesv2").get_email_identity(EmailIdentity="plain.example.org")
    assert identity["DkimAttributes"]["SigningEnabled"] is False
    assert identity["DkimAttributes"]["Status"] == "NOT_STARTED"
    assert "Tokens" not in identity["DkimAttributes"]


def test_malformed_raw_recipient(live: ServerProcess) -> None:
    # cloud-custodian/cloud-custodian#8051: SendRawEmail says the same.
    verify(live, "sender@example.com")
    raw = b"From: sender@example.com\r\nTo: resource_owner\r\nSubject: Hi\r\n\r\nHello\r\n"
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_raw_email(RawMessage={"Data": raw})
    assert error_of(excinfo) == ("InvalidParameterValue", "Missing final '@domain'", 400)
