"""Identity notifications delivered: SetIdentityNotificationTopic's topics in moto's SNS,
read from an SQS queue subscribed to them, in SES's notification format; and a delivery
delay reaching a configuration set's SNS event destination."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import production_access, simple_message, verify
from tests.support.moto import Moto, unique, wait_for
from tests.support.server import ServerProcess


@pytest.fixture
def live(moto_server: ServerProcess) -> ServerProcess:
    """A server publishing to moto's SNS, on SQLite and on PostgreSQL."""
    server = moto_server
    verify(server, "example.com")
    production_access(server)
    return server


class Subscriber:
    """An SNS topic in moto with an SQS queue subscribed: what SES publishes to it."""

    def __init__(self, moto: Moto, name: str) -> None:
        self.sns = moto.client("sns")
        self.sqs = moto.client("sqs")
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"]
        )
        self.sqs.purge_queue(QueueUrl=self.queue)

    def envelopes(self, count: int) -> list[dict[str, Any]]:
        """The first ``count`` SNS envelopes to arrive (fewer if they do not come)."""
        found: list[dict[str, Any]] = []

        def enough() -> bool:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in answer.get("Messages", []):
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
            return len(found) >= count

        wait_for(enough, timeout=60)
        return found

    def notifications(self, count: int) -> list[dict[str, Any]]:
        return [json.loads(envelope["Message"]) for envelope in self.envelopes(count)]


def send(server: ServerProcess, to: str, source: str = "ann@example.com", **extra: Any) -> str:
    answer = server.client("ses").send_email(
        Source=source,
        Destination={"ToAddresses": [to]},
        Message=simple_message("Quarterly report"),
        **extra,
    )
    return str(answer["MessageId"])


def test_a_bounce_notification_arrives_in_its_own_format(live: ServerProcess, moto: Moto) -> None:
    topic = Subscriber(moto, unique("bounces"))
    ses = live.client("ses")
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Bounce", SnsTopic=topic.topic
    )
    message_id = send(live, "bounce@simulator.amazonses.com")
    [envelope] = topic.envelopes(1)
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic.topic
    # AWS quirk: identity notifications are published without a Subject.
    assert not envelope.get("Subject")
    notification = json.loads(envelope["Message"])
    assert notification["notificationType"] == "Bounce"
    assert "eventType" not in notification
    bounce = notification["bounce"]
    assert bounce["bounceType"] == "Permanent"
    assert bounce["bounceSubType"] == "General"
    assert bounce["bouncedRecipients"] == [
        {
            "emailAddress": "bounce@simulator.amazonses.com",
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
        }
    ]
    assert bounce["reportingMTA"] == "dsn; a8-70.smtp-out.amazonses.com"
    assert bounce["remoteMtaIp"] == "127.0.0.1"
    assert bounce["feedbackId"].endswith("-000000")
    assert bounce["timestamp"].endswith("Z")
    mail = notification["mail"]
    assert mail == {
        "timestamp": mail["timestamp"],
        "source": "ann@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": ["bounce@simulator.amazonses.com"],
    }

    # With headers on, the original headers come too; tags never do.
    ses.set_identity_headers_in_notifications_enabled(
        Identity="example.com", NotificationType="Bounce", Enabled=True
    )
    send(live, "bounce@simulator.amazonses.com", Tags=[{"Name": "team", "Value": "a"}])
    [notification] = topic.notifications(1)
    mail = notification["mail"]
    assert "tags" not in mail
    assert mail["headersTruncated"] is False
    names = [header["name"] for header in mail["headers"]]
    assert {"From", "To", "Subject", "Message-ID"} <= set(names)
    assert mail["commonHeaders"]["subject"] == "Quarterly report"
    assert mail["commonHeaders"]["from"] == ["ann@example.com"]
    assert mail["commonHeaders"]["to"] == ["bounce@simulator.amazonses.com"]


def test_delivery_and_complaint_notifications(live: ServerProcess, moto: Moto) -> None:
    deliveries = Subscriber(moto, unique("deliveries"))
    complaints = Subscriber(moto, unique("complaints"))
    ses = live.client("ses")
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Delivery", SnsTopic=deliveries.topic
    )
    ses.set_identity_notification_topic(
        Identity="example.com", NotificationType="Complaint", SnsTopic=complaints.topic
    )
    send(live, "complaint@simulator.amazonses.com")
    [delivery] = deliveries.notifications(1)
    assert delivery["notificationType"] == "Delivery"
    assert delivery["delivery"]["recipients"] == ["complaint@simulator.amazonses.com"]
    assert delivery["delivery"]["smtpResponse"] == "250 2.6.0 Message received"
    assert delivery["delivery"]["reportingMTA"] == "a8-70.smtp-out.amazonses.com"
    assert delivery["delivery"]["processingTimeMillis"] == 0
    [complaint] = complaints.notifications(1)
    assert complaint["notificationType"] == "Complaint"
    assert complaint["complaint"]["complainedRecipients"] == [
        {"emailAddress": "complaint@simulator.amazonses.com"}
    ]
    assert complaint["complaint"]["complaintFeedbackType"] == "abuse"
    assert complaint["complaint"]["userAgent"] == "Amazon SES Mailbox Simulator"
    assert complaint["complaint"]["complaintSubType"] is None


def test_a_missing_topic_is_refused(live: ServerProcess) -> None:
    missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").set_identity_notification_topic(
            Identity="example.com", NotificationType="Bounce", SnsTopic=missing
        )
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterValue",
        f"SNS topic <{missing}> not found.",
    )


def test_a_delivery_delay_reaches_an_sns_event_destination(live: ServerProcess, moto: Moto) -> None:
    events = Subscriber(moto, unique("delays"))
    v2 = live.client("sesv2")
    v2.create_configuration_set(ConfigurationSetName="tracked")
    v2.create_configuration_set_event_destination(
        ConfigurationSetName="tracked",
        EventDestinationName="delays",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["DELIVERY_DELAY"],
            "SnsDestination": {"TopicArn": events.topic},
        },
    )
    httpx.post(
        f"{live.url}/_poolmail/ses/delivery-delays", json={"recipient": "slow@example.org"}
    ).raise_for_status()
    send(live, "slow@example.org", ConfigurationSetName="tracked")
    # The first message is SES's validation of the topic, a plain sentence.
    envelopes = events.envelopes(2)
    assert envelopes[0]["Message"] == (
        "Successfully validated SNS topic for Amazon SES event publishing."
    )
    records = [json.loads(envelope["Message"]) for envelope in envelopes[1:]]
    records = [record for record in records if record.get("eventType") == "DeliveryDelay"]
    assert records, "no DeliveryDelay event published"
    delay = records[0]["deliveryDelay"]
    assert delay["delayType"] == "TransientCommunicationFailure"
    assert delay["delayedRecipients"] == [
        {
            "emailAddress": "slow@example.org",
            "status": "4.4.1",
            "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host",
        }
    ]
    assert delay["expirationTime"] > delay["timestamp"]
