"""What SES mails back, black-box through boto3: forwarded bounces and complaints (the
mailbox simulator's, with no topics), SendBounce's DSN, and the simulator's event details;
simulated delivery delays through poolmail's admin API."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

TOPIC = "arn:aws:sns:us-east-1:123456789012:feedback"


def send(server: ServerProcess, to: str, **extra: Any) -> str:
    answer = server.client("ses").send_email(
        Source=extra.pop("Source", "ann@example.com"),
        Destination={"ToAddresses": [to]},
        Message=simple_message("Quarterly report"),
        **extra,
    )
    return str(answer["MessageId"])


def events_of(server: ServerProcess, message_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/events")
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def raw_of(server: ServerProcess, message_id: str) -> Message:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/raw")
    answer.raise_for_status()
    return email.message_from_bytes(answer.content)


def ready(server: ServerProcess) -> None:
    """example.com verified, out of the sandbox (whose one message a second would refuse
    a test's second send)."""
    verify(server, "example.com")
    production_access(server)


def feedback(server: ServerProcess, kind: str = "ses-feedback") -> list[dict[str, Any]]:
    return messages(server, kind=kind)


def test_simulator_events_carry_what_ses_reports(live: ServerProcess) -> None:
    ready(live)
    bounced = events_of(live, send(live, "bounce@simulator.amazonses.com"))
    [bounce] = [event for event in bounced if event["type"] == "Bounce"]
    assert {key: bounce[key] for key in ("bounceType", "bounceSubType", "action", "status")} == {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "action": "failed",
        "status": "5.1.1",
    }
    assert bounce["diagnosticCode"] == "smtp; 550 5.1.1 user unknown"
    assert bounce["reportingMTA"] == "dsn; a8-70.smtp-out.amazonses.com"
    assert bounce["feedbackId"].endswith("-000000")
    [suppressed] = [
        event
        for event in events_of(live, send(live, "suppressionlist@simulator.amazonses.com"))
        if event["type"] == "Bounce"
    ]
    assert suppressed["bounceSubType"] == "Suppressed"
    assert suppressed["diagnosticCode"].startswith(
        "Amazon SES has suppressed sending to this address because it has a recent history"
    )
    complained = events_of(live, send(live, "complaint@simulator.amazonses.com"))
    assert [event["type"] for event in complained] == ["Send", "Delivery", "Complaint"]
    delivery, complaint = complained[1], complained[2]
    assert delivery["smtpResponse"] == "250 2.6.0 Message received"
    assert delivery["reportingMTA"] == "a8-70.smtp-out.amazonses.com"
    assert complaint["complaintFeedbackType"] == "abuse"
    assert complaint["userAgent"] == "Amazon SES Mailbox Simulator"


def test_a_bounce_is_forwarded_to_the_sender_as_a_dsn(live: ServerProcess) -> None:
    ready(live)
    original = send(live, "bounce@simulator.amazonses.com", Source="Ann <ann@example.com>")
    [mail] = feedback(live)
    assert mail["source"] == "MAILER-DAEMON@amazonses.com"
    assert mail["recipients"] == ["ann@example.com"]
    assert mail["subject"] == "Delivery Status Notification (Failure)"
    report = raw_of(live, mail["id"])
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    human, status, returned = report.get_payload()
    assert "bounce@simulator.amazonses.com" in human.get_payload()
    assert status.get_content_type() == "message/delivery-status"
    per_message, per_recipient = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; a8-70.smtp-out.amazonses.com"
    assert per_recipient["Final-Recipient"] == "rfc822; bounce@simulator.amazonses.com"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    assert per_recipient["Diagnostic-Code"] == "smtp; 550 5.1.1 user unknown"
    assert returned.get_content_type() == "message/rfc822"
    assert returned.get_payload()[0]["Subject"] == "Quarterly report"
    assert original in returned.get_payload()[0]["Message-ID"]


def test_feedback_goes_to_the_return_path_and_complaints_come_as_abuse_reports(
    live: ServerProcess,
) -> None:
    ready(live)
    send(live, "complaint@simulator.amazonses.com", ReturnPath="bounces@example.com")
    [mail] = feedback(live)
    assert mail["source"] == "complaints@email-abuse.amazonses.com"
    assert mail["recipients"] == ["bounces@example.com"]
    report = raw_of(live, mail["id"])
    assert report.get_param("report-type") == "feedback-report"
    arf = report.get_payload()[1]
    assert arf.get_content_type() == "message/feedback-report"
    text = arf.as_string()
    assert "Feedback-Type: abuse" in text
    assert "Original-Rcpt-To: complaint@simulator.amazonses.com" in text


def test_no_feedback_mail_once_forwarding_is_off(live: ServerProcess) -> None:
    ready(live)
    ses = live.client("ses")
    for kind in ("Bounce", "Complaint"):
        ses.set_identity_notification_topic(
            Identity="example.com", NotificationType=kind, SnsTopic=TOPIC
        )
    send(live, "bounce@simulator.amazonses.com")
    # Forwarding on (the default) mails feedback in addition to the topic.
    assert len(feedback(live)) == 1
    ses.set_identity_feedback_forwarding_enabled(Identity="example.com", ForwardingEnabled=False)
    send(live, "bounce@simulator.amazonses.com")
    send(live, "complaint@simulator.amazonses.com")
    assert len(feedback(live)) == 1


def test_a_verified_address_uses_its_own_settings_not_its_domains(live: ServerProcess) -> None:
    ready(live)
    verify(live, "ann@example.com")
    v2 = live.client("sesv2")
    v2.put_email_identity_feedback_attributes(
        EmailIdentity="example.com", EmailForwardingEnabled=False
    )
    # The domain has no topics, so SES still mails its feedback; the address is its own.
    send(live, "bounce@simulator.amazonses.com", Source="bob@example.com")
    assert [mail["recipients"] for mail in feedback(live)] == [["bob@example.com"]]


# --- SendBounce -----------------------------------------------------------------------------


def test_send_bounce_mails_an_rfc_3464_dsn_to_the_original_sender(live: ServerProcess) -> None:
    ready(live)
    original = send(live, "success@simulator.amazonses.com")
    answer = live.client("ses").send_bounce(
        OriginalMessageId=original,
        BounceSender="postmaster@example.com",
        Explanation="Nobody by that name here.",
        MessageDsn={
            "ReportingMta": "dns; mx.example.com",
            "ExtensionFields": [{"Name": "X-Queue", "Value": "7"}],
        },
        BouncedRecipientInfoList=[
            {"Recipient": "success@simulator.amazonses.com", "BounceType": "DoesNotExist"},
            {
                "Recipient": "other@example.org",
                "RecipientDsnFields": {
                    "Action": "delayed",
                    "Status": "4.2.2",
                    "DiagnosticCode": "smtp; 452 4.2.2 Mailbox full",
                },
            },
        ],
    )
    [mail] = feedback(live, "ses-bounce")
    assert mail["id"] == answer["MessageId"]
    assert (mail["source"], mail["recipients"]) == ("postmaster@example.com", ["ann@example.com"])
    report = raw_of(live, mail["id"])
    assert report.get_param("report-type") == "delivery-status"
    human, status, _ = report.get_payload()
    assert human.get_payload().strip() == "Nobody by that name here."
    per_message, first, second = status.get_payload()
    assert (per_message["Reporting-MTA"], per_message["X-Queue"]) == ("dns; mx.example.com", "7")
    assert first["Final-Recipient"] == "rfc822; success@simulator.amazonses.com"
    assert (first["Action"], first["Status"]) == ("failed", "5.1.1")
    assert (second["Action"], second["Status"]) == ("delayed", "4.2.2")
    assert second["Diagnostic-Code"] == "smtp; 452 4.2.2 Mailbox full"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"OriginalMessageId": "0000000000000000-unknown-000000"},
            "MessageRejected",
            "Could not find the message with id 0000000000000000-unknown-000000.",
        ),
        (
            {"BounceSender": "postmaster@elsewhere.org"},
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region US-EAST-1: postmaster@elsewhere.org",
        ),
        (
            {"BouncedRecipientInfoList": [{"Recipient": "x@example.org"}]},
            "InvalidParameterValue",
            "Either BounceType or RecipientDsnFields must be specified for x@example.org.",
        ),
        (
            {"BouncedRecipientInfoList": []},
            "InvalidParameterValue",
            "BouncedRecipientInfoList must contain at least one recipient.",
        ),
        (
            {
                "MessageDsn": {
                    "ReportingMta": "dns; x",
                    "ExtensionFields": [{"Name": "X Y", "Value": "1"}],
                }
            },
            "InvalidParameterValue",
            "Invalid extension field name: X Y",
        ),
    ],
)
def test_send_bounce_errors_send_nothing(
    live: ServerProcess, change: dict[str, Any], code: str, message: str
) -> None:
    ready(live)
    params: dict[str, Any] = {
        "OriginalMessageId": send(live, "success@simulator.amazonses.com"),
        "BounceSender": "postmaster@example.com",
        "BouncedRecipientInfoList": [{"Recipient": "x@example.org", "BounceType": "Undefined"}],
        **change,
    }
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_bounce(**params)
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == (code, message)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert feedback(live, "ses-bounce") == []


# --- delivery delays ------------------------------------------------------------------------


def delays_url(server: ServerProcess) -> str:
    return f"{server.url}/_poolmail/ses/delivery-delays"


def test_a_delayed_recipient_gets_a_delivery_delay_event(live: ServerProcess) -> None:
    ready(live)
    answer = httpx.post(
        delays_url(live),
        json={
            "recipient": "Slow@Example.org",
            "delayType": "MailboxFull",
            "status": "4.2.2",
            "diagnosticCode": "smtp; 452 4.2.2 Mailbox full",
            "expiresInSeconds": 600,
        },
    )
    assert answer.status_code == 201, answer.text
    assert httpx.get(delays_url(live)).json()["delays"] == [
        {
            "recipient": "slow@example.org",
            "delayType": "MailboxFull",
            "status": "4.2.2",
            "diagnosticCode": "smtp; 452 4.2.2 Mailbox full",
            "expiresInSeconds": 600.0,
        }
    ]
    message_id = live.client("ses").send_email(
        Source="ann@example.com",
        Destination={"ToAddresses": ["slow@example.org", "fast@example.org"]},
        Message=simple_message(),
    )["MessageId"]
    found = events_of(live, message_id)
    assert [event["type"] for event in found] == ["Send", "DeliveryDelay", "Delivery"]
    delay = found[1]
    assert delay["delayType"] == "MailboxFull"
    assert delay["delayedRecipients"] == [
        {
            "emailAddress": "slow@example.org",
            "status": "4.2.2",
            "diagnosticCode": "smtp; 452 4.2.2 Mailbox full",
        }
    ]
    assert delay["expirationTime"] > delay["timestamp"]
    assert httpx.delete(delays_url(live), params={"recipient": "slow@example.org"}).json() == {
        "removed": 1
    }
    message_id = send(live, "slow@example.org")
    assert [event["type"] for event in events_of(live, message_id)] == ["Send", "Delivery"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"delayType": "General"}, "recipient must be an email address"),
        ({"recipient": "a@example.org", "delayType": "Slow"}, "delayType must be one of"),
        ({"recipient": "a@example.org", "status": "5.1.1"}, "status must be a transient"),
        ({"recipient": "a@example.org", "expiresInSeconds": 0}, "expiresInSeconds must be"),
    ],
)
def test_delay_admin_errors(live: ServerProcess, body: dict[str, Any], message: str) -> None:
    answer = httpx.post(delays_url(live), json=body)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)
    assert httpx.get(delays_url(live)).json() == {"delays": []}
    missing = httpx.delete(delays_url(live), params={"recipient": "a@example.org"})
    assert missing.status_code == 404
