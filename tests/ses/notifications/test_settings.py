"""Identity notification settings through boto3 (v1 and v2) and the AWS CLI: defaults,
every rule SES puts on them, AWS's errors with no state change, and deletion with the
identity."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

TOPIC = "arn:aws:sns:us-east-1:123456789012:feedback"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:deliveries"
DEFAULTS = {
    "BounceTopic": "",
    "ComplaintTopic": "",
    "DeliveryTopic": "",
    "ForwardingEnabled": True,
    "HeadersInBounceNotificationsEnabled": False,
    "HeadersInComplaintNotificationsEnabled": False,
    "HeadersInDeliveryNotificationsEnabled": False,
}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def attributes(server: ServerProcess, *identities: str) -> dict[str, Any]:
    got = server.client("ses").get_identity_notification_attributes(Identities=list(identities))
    return dict(got["NotificationAttributes"])


def test_defaults_for_identities_without_settings_and_unknown_ones_left_out(
    live: ServerProcess,
) -> None:
    verify(live, "example.com")
    live.client("ses").verify_email_identity(EmailAddress="pending@example.org")
    assert attributes(live, "example.com", "pending@example.org", "nobody@example.net") == {
        "example.com": DEFAULTS,
        "pending@example.org": DEFAULTS,
    }
    # Domains answer under the name as asked.
    assert attributes(live, "Example.COM") == {"Example.COM": DEFAULTS}


def test_topics_headers_and_forwarding_read_back_in_v1_and_v2(live: ServerProcess) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Bounce", SnsTopic=TOPIC
    )
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Complaint", SnsTopic=TOPIC
    )
    ses.set_identity_notification_topic(
        Identity="arn:aws:ses:us-east-1:123456789012:identity/example.com",
        NotificationType="Delivery",
        SnsTopic=OTHER_TOPIC,
    )
    ses.set_identity_headers_in_notifications_enabled(
        Identity="example.com", NotificationType="Bounce", Enabled=True
    )
    ses.set_identity_feedback_forwarding_enabled(Identity="example.com", ForwardingEnabled=False)
    assert attributes(live, "example.com")["example.com"] == {
        "BounceTopic": TOPIC,
        "ComplaintTopic": TOPIC,
        "DeliveryTopic": OTHER_TOPIC,
        "ForwardingEnabled": False,
        "HeadersInBounceNotificationsEnabled": True,
        "HeadersInComplaintNotificationsEnabled": False,
        "HeadersInDeliveryNotificationsEnabled": False,
    }
    v2 = live.client("sesv2")
    assert v2.get_email_identity(EmailIdentity="example.com")["FeedbackForwardingStatus"] is False
    v2.put_email_identity_feedback_attributes(
        EmailIdentity="example.com", EmailForwardingEnabled=True
    )
    assert v2.get_email_identity(EmailIdentity="example.com")["FeedbackForwardingStatus"] is True
    assert attributes(live, "example.com")["example.com"]["ForwardingEnabled"] is True


def test_clearing_a_topic_turns_its_headers_off_and_forwarding_back_on(
    live: ServerProcess,
) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    for kind in ("Bounce", "Complaint"):
        ses.set_identity_notification_topic(
            Identity="example.com", NotificationType=kind, SnsTopic=TOPIC
        )
    ses.set_identity_headers_in_notifications_enabled(
        Identity="example.com", NotificationType="Complaint", Enabled=True
    )
    ses.set_identity_feedback_forwarding_enabled(Identity="example.com", ForwardingEnabled=False)
    ses.set_identity_notification_topic(Identity="example.com", NotificationType="Complaint")
    assert attributes(live, "example.com")["example.com"] == {**DEFAULTS, "BounceTopic": TOPIC}


def test_v2_may_turn_forwarding_off_without_topics(live: ServerProcess) -> None:
    verify(live, "ann@example.com")
    v2 = live.client("sesv2")
    v2.put_email_identity_feedback_attributes(
        EmailIdentity="ann@example.com", EmailForwardingEnabled=False
    )
    assert attributes(live, "ann@example.com")["ann@example.com"]["ForwardingEnabled"] is False


def test_settings_go_with_the_identity(live: ServerProcess) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Delivery", SnsTopic=TOPIC
    )
    ses.delete_identity(Identity="example.com")
    assert attributes(live, "example.com") == {}
    verify(live, "example.com")
    assert attributes(live, "example.com") == {"example.com": DEFAULTS}


@pytest.mark.parametrize(
    ("call", "params", "expected"),
    [
        (
            "set_identity_notification_topic",
            {"Identity": "nobody.example", "NotificationType": "Bounce", "SnsTopic": TOPIC},
            "Identity nobody.example is invalid. Must be a verified email address or domain.",
        ),
        (
            "set_identity_notification_topic",
            {
                "Identity": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
                "NotificationType": "Bounce",
            },
            "Identity arn:aws:ses:eu-west-1:123456789012:identity/example.com is invalid. "
            "Must be a verified email address or domain.",
        ),
        (
            "set_identity_notification_topic",
            {
                "Identity": "example.com",
                "NotificationType": "Bounce",
                "SnsTopic": "arn:aws:sns:eu-west-1:123456789012:feedback",
            },
            "SNS topic <arn:aws:sns:eu-west-1:123456789012:feedback> is invalid: it must be in "
            "the identity's region us-east-1.",
        ),
        (
            "set_identity_notification_topic",
            {"Identity": "example.com", "NotificationType": "Bounce", "SnsTopic": "feedback"},
            "SNS topic <feedback> is not a valid topic ARN.",
        ),
        (
            "set_identity_feedback_forwarding_enabled",
            {"Identity": "example.com", "ForwardingEnabled": False},
            "Feedback forwarding can only be disabled when Amazon SNS topics are set for both "
            "Bounce and Complaint notification types.",
        ),
        (
            "set_identity_feedback_forwarding_enabled",
            {"Identity": "nobody@example.com", "ForwardingEnabled": True},
            "Identity nobody@example.com is invalid. Must be a verified email address or domain.",
        ),
        (
            "set_identity_headers_in_notifications_enabled",
            {"Identity": "example.com", "NotificationType": "Delivery", "Enabled": True},
            "Headers in Delivery notifications can only be enabled when an Amazon SNS topic "
            "is set for Delivery notifications.",
        ),
        (
            "get_identity_notification_attributes",
            {"Identities": [f"user{n}@example.com" for n in range(101)]},
            "Cannot request notification attributes for more than 100 identities.",
        ),
    ],
)
def test_v1_errors_change_nothing(
    live: ServerProcess, call: str, params: dict[str, Any], expected: str
) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Bounce", SnsTopic=OTHER_TOPIC
    )
    before = attributes(live, "example.com")
    with pytest.raises(ClientError) as excinfo:
        getattr(ses, call)(**params)
    assert error_of(excinfo) == ("InvalidParameterValue", expected, 400)
    assert attributes(live, "example.com") == before


def test_v2_unknown_identity_is_not_found(live: ServerProcess) -> None:
    with pytest.raises(ClientError) as excinfo:
        live.client("sesv2").put_email_identity_feedback_attributes(
            EmailIdentity="nobody@example.com", EmailForwardingEnabled=True
        )
    assert error_of(excinfo) == (
        "NotFoundException",
        "Email identity nobody@example.com does not exist.",
        404,
    )


def test_the_aws_cli_sets_a_topic(live: ServerProcess) -> None:
    verify(live, "example.com")
    ok(
        aws(
            live,
            "ses",
            "set-identity-notification-topic",
            "--identity",
            "example.com",
            "--notification-type",
            "Bounce",
            "--sns-topic",
            TOPIC,
        )
    )
    got = ok(
        aws(live, "ses", "get-identity-notification-attributes", "--identities", "example.com")
    )
    assert got["NotificationAttributes"]["example.com"]["BounceTopic"] == TOPIC
    refused = aws(
        live,
        "ses",
        "set-identity-feedback-forwarding-enabled",
        "--identity",
        "example.com",
        "--no-forwarding-enabled",
    )
    assert refused.returncode != 0
    assert "(InvalidParameterValue)" in refused.stderr
