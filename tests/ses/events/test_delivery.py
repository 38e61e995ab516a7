"""Event publishing delivered to moto's server: an SNS destination's topic with an SQS
queue subscribed, an EventBridge rule's SQS target, CloudWatch metrics; and events
published while the endpoint is down, delivered once it is up, across a restart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS
from tests.ses.helpers import production_access, verify
from tests.support.moto import CREDENTIALS, Moto, free_port, unique, wait_for
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

ACCOUNT = "123456789012"
SENDER = "sender@example.com"
BOUNCE = "bounce@simulator.amazonses.com"
SUBJECT = "Amazon SES Email Event Notification"
VALIDATION = "Successfully validated SNS topic for Amazon SES event publishing."
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def sender(moto_server: ServerProcess) -> ServerProcess:
    """poolmail delivering to moto's server, on SQLite and on PostgreSQL."""
    production_access(moto_server)
    verify(moto_server, SENDER)
    return moto_server


def queue(moto: Moto, name: str) -> tuple[str, str]:
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attributes["Attributes"]["QueueArn"]


def subscribed_topic(moto: Moto, name: str) -> tuple[str, str]:
    """A topic with a queue subscribed: (topic ARN, queue URL)."""
    sns = moto.client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    url, arn = queue(moto, name)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def drain(moto: Moto, url: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the queue's messages to ``found``, deleting them (else they come back once
    their visibility timeout ends)."""
    sqs = moto.client("sqs")
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def notifications(moto: Moto, url: str, count: int) -> list[dict[str, Any]]:
    """The SES event notifications (Subject set) that reach the queue, ``count`` of them."""
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        drain(moto, url, found)
        return len([body for body in found if body.get("Subject") == SUBJECT]) >= count

    # Generous: a record that failed while the endpoint was down waits out its backoff.
    assert wait_for(enough, 120), found
    return [body for body in found if body.get("Subject") == SUBJECT]


def send_bounce(server: ServerProcess, configuration_set: str) -> str:
    return str(
        server.client("ses").send_email(
            Source=SENDER,
            Destination={"ToAddresses": [BOUNCE]},
            Message={"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "Thanks"}}},
            ConfigurationSetName=configuration_set,
            Tags=[{"Name": "campaign", "Value": "spring"}],
        )["MessageId"]
    )


def test_a_bounce_reaches_the_queue_subscribed_to_the_topic(
    sender: ServerProcess, moto: Moto
) -> None:
    topic, url = subscribed_topic(moto, unique("bounces"))
    ses = sender.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    missing = topic + "-missing"
    with pytest.raises(ClientError) as refused:
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="events",
            EventDestination={
                "Name": "sns",
                "MatchingEventTypes": ["bounce"],
                "SNSDestination": {"TopicARN": missing},
            },
        )
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidSNSDestination",
        f"SNS topic <{missing}> not found.",
    )
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events",
        EventDestination={
            "Name": "sns",
            "Enabled": True,
            "MatchingEventTypes": ["bounce"],
            "SNSDestination": {"TopicARN": topic},
        },
    )
    message_id = send_bounce(sender, "events")
    (body,) = notifications(moto, url, 1)
    assert body["Type"] == "Notification"
    assert body["TopicArn"] == topic
    assert body["Subject"] == SUBJECT
    event = json.loads(body["Message"])
    bounce = event["bounce"]
    mail = event["mail"]
    assert ISO.fullmatch(bounce["timestamp"]) and ISO.fullmatch(mail["timestamp"])
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f-]{36}-000000", bounce["feedbackId"])
    assert event == {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": bounce["feedbackId"],
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": BOUNCE,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": bounce["timestamp"],
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        },
        "mail": {
            "timestamp": mail["timestamp"],
            "source": SENDER,
            "sourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{SENDER}",
            "sendingAccountId": ACCOUNT,
            "messageId": message_id,
            "destination": [BOUNCE],
            "headersTruncated": False,
            "headers": mail["headers"],
            "commonHeaders": {
                "from": [SENDER],
                "to": [BOUNCE],
                "messageId": message_id,
                "subject": "Your order",
            },
            "tags": {
                "campaign": ["spring"],
                "ses:operation": ["SendEmail"],
                "ses:configuration-set": ["events"],
                "ses:source-ip": ["127.0.0.1"],
                "ses:from-domain": ["example.com"],
                "ses:caller-identity": ["root"],
            },
        },
    }
    assert mail["headers"][:3] == [
        {"name": "From", "value": SENDER},
        {"name": "To", "value": BOUNCE},
        {"name": "Subject", "value": "Your order"},
    ]

    # The delivery log says delivered, at the first attempt.
    def delivered() -> list[dict[str, Any]]:
        query = {"message_id": message_id}
        log = httpx.get(f"{sender.url}/_poolmail/ses/events", params=query).json()["events"]
        return [entry for entry in log if entry["status"] == "delivered"]

    (entry,) = wait_for(delivered)
    assert [attempt["error"] for attempt in entry["attempts"]] == [None]


def test_the_validation_message_reaches_the_topic(sender: ServerProcess, moto: Moto) -> None:
    topic, url = subscribed_topic(moto, unique("validated"))
    sesv2 = sender.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="checked")
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="checked",
        EventDestinationName="sns",
        EventDestination={"MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": topic}},
    )
    found: list[dict[str, Any]] = []
    (body,) = wait_for(lambda: drain(moto, url, found))
    assert body["Message"] == VALIDATION
    assert "Subject" not in body


def test_eventbridge_delivers_to_a_rules_target(sender: ServerProcess, moto: Moto) -> None:
    url, arn = queue(moto, unique("bridge"))
    events = moto.client("events")
    rule = unique("ses")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.ses"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    sesv2 = sender.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="bridged")
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="bridged",
        EventDestinationName="bus",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["BOUNCE"],
            "EventBridgeDestination": {
                "EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
            },
        },
    )
    message_id = send_bounce(sender, "bridged")
    found: list[dict[str, Any]] = []
    try:
        (delivered,) = wait_for(lambda: drain(moto, url, found), 60)
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)
    assert delivered["source"] == "aws.ses"
    assert delivered["detail-type"] == "Email Bounced"
    assert delivered["resources"] == [f"arn:aws:ses:us-east-1:{ACCOUNT}:configuration-set/bridged"]
    assert delivered["detail"]["eventType"] == "Bounce"
    assert delivered["detail"]["mail"]["messageId"] == message_id
    assert delivered["detail"]["bounce"]["bouncedRecipients"][0]["emailAddress"] == BOUNCE


def test_cloudwatch_metrics_are_put(sender: ServerProcess, moto: Moto) -> None:
    sesv2 = sender.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="measured")
    dimension = unique("set")
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="measured",
        EventDestinationName="metrics",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SEND", "BOUNCE"],
            "CloudWatchDestination": {
                "DimensionConfigurations": [
                    {
                        "DimensionName": dimension,
                        "DimensionValueSource": "MESSAGE_TAG",
                        "DefaultDimensionValue": "fallback",
                    }
                ]
            },
        },
    )
    send_bounce(sender, "measured")
    cloudwatch = moto.client("cloudwatch")

    def metrics() -> list[str]:
        listed = cloudwatch.list_metrics(
            Namespace="AWS/SES", Dimensions=[{"Name": dimension, "Value": "fallback"}]
        )["Metrics"]
        return sorted(metric["MetricName"] for metric in listed)

    assert wait_for(lambda: metrics() == ["Bounce", "Send"], 60), metrics()


# ---- the endpoint down, then up, across a restart -----------------------------------------------


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The storage options of a dedicated server, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield ["--data-dir", str(tmp_path)]
        return
    with fresh_database() as url:
        yield ["--database-url", url]


def test_events_wait_for_the_endpoint_across_a_restart(storage: list[str]) -> None:
    port = free_port()
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:later"
    options = [*storage, "--sns-endpoint-url", f"http://127.0.0.1:{port}"]
    server = ServerProcess(options, env=CREDENTIALS).start()
    later = None
    try:
        production_access(server)
        verify(server, SENDER)
        ses = server.client("ses")
        ses.create_configuration_set(ConfigurationSet={"Name": "events"})
        # Nothing answers at the SNS endpoint: the topic cannot be checked, the destination
        # is kept and its deliveries wait.
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="events",
            EventDestination={
                "Name": "sns",
                "Enabled": True,
                "MatchingEventTypes": ["bounce"],
                "SNSDestination": {"TopicARN": topic},
            },
        )
        first = send_bounce(server, "events")

        def log() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = httpx.get(f"{server.url}/_poolmail/ses/events").json()[
                "events"
            ]
            return found

        (waiting,) = wait_for(lambda: [e for e in log() if e["attempts"]])
        assert waiting["message_id"] == first
        assert waiting["status"] == "pending"
        assert "Could not connect" in waiting["attempts"][0]["error"]
        server.stop()
        # moto's server comes up on that port, its topic and queue made before poolmail
        # runs again (a topic without its subscription yet would take the event and drop it).
        later = Moto(port).start()
        _, url = subscribed_topic(later, "later")
        server = ServerProcess(options, env=CREDENTIALS).start()
        second = send_bounce(server, "events")
        bodies = notifications(later, url, 2)
        ids = sorted(json.loads(body["Message"])["mail"]["messageId"] for body in bodies)
        assert ids == sorted([first, second])

        def delivered() -> list[dict[str, Any]]:
            return [e for e in log() if e["status"] == "delivered"]

        done = wait_for(lambda: len(delivered()) == 2 and delivered(), 120)
        (kept,) = [entry for entry in done if entry["message_id"] == first]
        # Failed while the endpoint was down, kept across the restart, then delivered.
        assert "Could not connect" in kept["attempts"][0]["error"]
        assert kept["attempts"][-1]["error"] is None
    finally:
        server.stop()
        if later is not None:
            later.stop()
