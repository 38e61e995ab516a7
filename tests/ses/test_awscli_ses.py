"""The SES integration steps a user types with the AWS CLI, against the server."""

from __future__ import annotations

import json

import httpx

from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok


def test_verify_an_address_by_its_link_then_send(live: ServerProcess) -> None:
    ok(aws(live, "ses", "verify-email-identity", "--email-address", "sender@example.com"))
    status = ok(
        aws(
            live,
            "ses",
            "get-identity-verification-attributes",
            "--identities",
            "sender@example.com",
        )
    )
    assert status["VerificationAttributes"]["sender@example.com"]["VerificationStatus"] == (
        "Pending"
    )
    mail = httpx.get(
        f"{live.url}/_poolmail/messages",
        params={"recipient": "sender@example.com", "kind": "ses-verification"},
    ).json()["messages"][0]
    assert mail["source"] == "no-reply-aws@amazon.com"
    assert httpx.get(mail["details"]["link"]).status_code == 200
    status = ok(
        aws(
            live,
            "ses",
            "get-identity-verification-attributes",
            "--identities",
            "sender@example.com",
        )
    )
    assert status["VerificationAttributes"]["sender@example.com"]["VerificationStatus"] == (
        "Success"
    )

    message = json.dumps({"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}})
    refused = aws(
        live,
        "ses",
        "send-email",
        "--from",
        "sender@example.com",
        "--destination",
        "ToAddresses=someone@example.org",
        "--message",
        message,
    )
    assert refused.returncode != 0
    assert (
        "An error occurred (MessageRejected) when calling the SendEmail operation: Email "
        "address is not verified. The following identities failed the check in region "
        "US-EAST-1: someone@example.org"
    ) in refused.stderr
    sent = ok(
        aws(
            live,
            "ses",
            "send-email",
            "--from",
            "sender@example.com",
            "--destination",
            "ToAddresses=success@simulator.amazonses.com",
            "--message",
            message,
        )
    )
    assert (
        httpx.get(f"{live.url}/_aws/ses", params={"id": sent["MessageId"]}).json()["messages"][0][
            "Subject"
        ]
        == "hi"
    )


def test_request_and_grant_production_access(live: ServerProcess) -> None:
    assert ok(aws(live, "ses", "get-send-quota")) == {
        "Max24HourSend": 200.0,
        "MaxSendRate": 1.0,
        "SentLast24Hours": 0.0,
    }
    ok(
        aws(
            live,
            "sesv2",
            "put-account-details",
            "--production-access-enabled",
            "--mail-type",
            "TRANSACTIONAL",
            "--website-url",
            "https://example.com",
            "--use-case-description",
            "sign-up mail",
            "--contact-language",
            "EN",
        )
    )
    review = ok(aws(live, "sesv2", "get-account"))["Details"]["ReviewDetails"]
    assert review["Status"] == "PENDING"
    again = aws(
        live,
        "sesv2",
        "put-account-details",
        "--production-access-enabled",
        "--mail-type",
        "TRANSACTIONAL",
        "--website-url",
        "https://example.com",
    )
    assert "(ConflictException)" in again.stderr
    httpx.post(
        f"{live.url}/_poolmail/ses/account/review",
        json={"decision": "GRANTED"},
    ).raise_for_status()
    account = ok(aws(live, "sesv2", "get-account"))
    assert account["ProductionAccessEnabled"] is True
    assert account["Details"]["ReviewDetails"] == {"Status": "GRANTED", "CaseId": review["CaseId"]}
    assert ok(aws(live, "ses", "get-send-quota"))["Max24HourSend"] == 50000.0
