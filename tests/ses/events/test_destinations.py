"""Configuration-set event destinations through SES v1, v2 and the AWS CLI: AWS's
validation and errors, one store behind both APIs, and what is published when no other
AWS service is configured (records kept, marked undeliverable, visible in poolmail's API
and console)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, expect

from tests.console.helpers import page_problems
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:ses-events"
STREAM = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/ses-events"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ses-firehose"
BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
SENDER = "sender@example.com"


def refusal(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def v1_sns(name: str = "to-sns", types: list[str] | None = None) -> dict[str, Any]:
    return {
        "Name": name,
        "Enabled": True,
        "MatchingEventTypes": types or ["send", "bounce"],
        "SNSDestination": {"TopicARN": TOPIC},
    }


def published(server: ServerProcess, **query: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/ses/events", params=query)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def send(server: ServerProcess, to: str, configuration_set: str | None = "events") -> str:
    params: dict[str, Any] = {
        "Source": SENDER,
        "Destination": {"ToAddresses": [to]},
        "Message": {"Subject": {"Data": "Order 42"}, "Body": {"Text": {"Data": "Thanks"}}},
        "Tags": [{"Name": "campaign", "Value": "spring"}],
    }
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    return str(server.client("ses").send_email(**params)["MessageId"])


# ---- v1 -------------------------------------------------------------------------------------


def test_v1_crud_and_describe(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=v1_sns()
    )
    cloudwatch = {
        "Name": "metrics",
        "MatchingEventTypes": ["delivery", "delivery", "click"],
        "CloudWatchDestination": {
            "DimensionConfigurations": [
                {
                    "DimensionName": "ses:configuration-set",
                    "DimensionValueSource": "messageTag",
                    "DefaultDimensionValue": "none",
                }
            ]
        },
    }
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=cloudwatch
    )
    described = ses.describe_configuration_set(
        ConfigurationSetName="events", ConfigurationSetAttributeNames=["eventDestinations"]
    )
    # Enabled defaults to false [model]; duplicates collapse, in AWS's enum order.
    assert described["EventDestinations"] == [
        v1_sns(),
        {**cloudwatch, "Enabled": False, "MatchingEventTypes": ["delivery", "click"]},
    ]
    # Without the attribute name, no destinations.
    plain = ses.describe_configuration_set(ConfigurationSetName="events")
    assert "EventDestinations" not in plain

    firehose = {
        "Name": "to-sns",
        "Enabled": False,
        "MatchingEventTypes": ["reject"],
        "KinesisFirehoseDestination": {"IAMRoleARN": ROLE, "DeliveryStreamARN": STREAM},
    }
    ses.update_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=firehose
    )
    ses.delete_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestinationName="metrics"
    )
    described = ses.describe_configuration_set(
        ConfigurationSetName="events", ConfigurationSetAttributeNames=["eventDestinations"]
    )
    assert described["EventDestinations"] == [firehose]


def test_v1_errors(live: ServerProcess) -> None:
    ses = live.client("ses")
    create = ses.create_configuration_set_event_destination
    # LocalStack's AWS-recorded texts.
    assert refusal(create, ConfigurationSetName="absent", EventDestination=v1_sns()) == (
        "ConfigurationSetDoesNotExist",
        "Configuration set <absent> does not exist.",
        400,
    )
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    assert refusal(
        ses.delete_configuration_set_event_destination,
        ConfigurationSetName="events",
        EventDestinationName="absent",
    ) == ("EventDestinationDoesNotExist", "No EventDestination found for events", 400)
    assert refusal(
        ses.update_configuration_set_event_destination,
        ConfigurationSetName="events",
        EventDestination=v1_sns("absent"),
    ) == ("EventDestinationDoesNotExist", "No EventDestination found for events", 400)
    create(ConfigurationSetName="events", EventDestination=v1_sns())
    assert refusal(create, ConfigurationSetName="events", EventDestination=v1_sns()) == (
        "EventDestinationAlreadyExists",
        "An event destination with name <to-sns> already exists for configuration set <events>.",
        400,
    )
    assert refusal(create, ConfigurationSetName="events", EventDestination=v1_sns("bad name")) == (
        "InvalidParameterValue",
        "Invalid event destination name <bad name>: only alphanumeric ASCII characters, '_', "
        "and '-' are allowed.",
        400,
    )
    both = {
        **v1_sns("both"),
        "KinesisFirehoseDestination": {"IAMRoleARN": ROLE, "DeliveryStreamARN": STREAM},
    }
    code, message, _ = refusal(create, ConfigurationSetName="events", EventDestination=both)
    assert code == "InvalidParameterValue"
    assert message.startswith("Please provide only one destination with each request.")
    neither = {"Name": "neither", "MatchingEventTypes": ["send"]}
    assert refusal(create, ConfigurationSetName="events", EventDestination=neither)[1] == (
        "Event destination is not provided."
    )
    bad_topic = {**v1_sns("bad-topic"), "SNSDestination": {"TopicARN": "not-an-arn"}}
    assert refusal(create, ConfigurationSetName="events", EventDestination=bad_topic) == (
        "InvalidSNSDestination",
        "SNS topic <not-an-arn> not found.",
        400,
    )
    dimension = {
        "DimensionName": "has space",
        "DimensionValueSource": "emailHeader",
        "DefaultDimensionValue": "x",
    }
    bad_dimension = {
        "Name": "metrics",
        "MatchingEventTypes": ["send"],
        "CloudWatchDestination": {"DimensionConfigurations": [dimension]},
    }
    code, _, _ = refusal(create, ConfigurationSetName="events", EventDestination=bad_dimension)
    assert code == "InvalidCloudWatchDestination"
    eleven = [{**dimension, "DimensionName": f"d{number}"} for number in range(11)]
    too_many = {**bad_dimension, "CloudWatchDestination": {"DimensionConfigurations": eleven}}
    code, _, _ = refusal(create, ConfigurationSetName="events", EventDestination=too_many)
    assert code == "InvalidCloudWatchDestination"
    bad_stream = {
        "Name": "stream",
        "MatchingEventTypes": ["send"],
        "KinesisFirehoseDestination": {"IAMRoleARN": ROLE, "DeliveryStreamARN": TOPIC},
    }
    code, _, _ = refusal(create, ConfigurationSetName="events", EventDestination=bad_stream)
    assert code == "InvalidFirehoseDestination"
    # Nothing refused was stored.
    described = ses.describe_configuration_set(
        ConfigurationSetName="events", ConfigurationSetAttributeNames=["eventDestinations"]
    )
    assert [item["Name"] for item in described["EventDestinations"]] == ["to-sns"]


def test_ten_destinations_per_set(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    for number in range(10):
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="events", EventDestination=v1_sns(f"d{number}")
        )
    code, message, status = refusal(
        ses.create_configuration_set_event_destination,
        ConfigurationSetName="events",
        EventDestination=v1_sns("d10"),
    )
    assert (code, status) == ("LimitExceeded", 400)
    assert "10" in message
    code, _, status = refusal(
        live.client("sesv2").create_configuration_set_event_destination,
        ConfigurationSetName="events",
        EventDestinationName="d10",
        EventDestination={"MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": TOPIC}},
    )
    assert (code, status) == ("LimitExceededException", 400)


# ---- v2, and both APIs over one store --------------------------------------------------------


def test_v2_crud_seen_by_v1(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="events")
    bridge = {
        "Enabled": True,
        "MatchingEventTypes": ["SEND", "DELIVERY_DELAY", "SUBSCRIPTION"],
        "EventBridgeDestination": {"EventBusArn": BUS},
    }
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestinationName="bridge", EventDestination=bridge
    )
    sns = {"MatchingEventTypes": ["BOUNCE"], "SnsDestination": {"TopicArn": TOPIC}}
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestinationName="sns", EventDestination=sns
    )
    found = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="events")
    assert found["EventDestinations"] == [
        {"Name": "bridge", **bridge},
        {"Name": "sns", "Enabled": False, **sns},
    ]
    # v1 sees them: without the types and the destination kind v1 does not have.
    described = live.client("ses").describe_configuration_set(
        ConfigurationSetName="events", ConfigurationSetAttributeNames=["eventDestinations"]
    )
    assert described["EventDestinations"] == [
        {"Name": "bridge", "Enabled": True, "MatchingEventTypes": ["send"]},
        {
            "Name": "sns",
            "Enabled": False,
            "MatchingEventTypes": ["bounce"],
            "SNSDestination": {"TopicARN": TOPIC},
        },
    ]
    sesv2.update_configuration_set_event_destination(
        ConfigurationSetName="events",
        EventDestinationName="sns",
        EventDestination={**sns, "Enabled": True},
    )
    sesv2.delete_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestinationName="bridge"
    )
    found = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="events")
    assert found["EventDestinations"] == [{"Name": "sns", "Enabled": True, **sns}]
    # Deleting the set deletes its destinations: a new set of that name has none.
    sesv2.delete_configuration_set(ConfigurationSetName="events")
    sesv2.create_configuration_set(ConfigurationSetName="events")
    found = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="events")
    assert found["EventDestinations"] == []


def test_v2_errors(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sns = {"MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": TOPIC}}
    create = sesv2.create_configuration_set_event_destination
    assert refusal(
        create, ConfigurationSetName="absent", EventDestinationName="d", EventDestination=sns
    ) == ("NotFoundException", "Configuration set <absent> does not exist.", 404)
    assert refusal(
        sesv2.get_configuration_set_event_destinations, ConfigurationSetName="absent"
    ) == ("NotFoundException", "Configuration set <absent> does not exist.", 404)
    sesv2.create_configuration_set(ConfigurationSetName="events")
    create(ConfigurationSetName="events", EventDestinationName="d", EventDestination=sns)
    assert refusal(
        create, ConfigurationSetName="events", EventDestinationName="d", EventDestination=sns
    ) == (
        "AlreadyExistsException",
        "An event destination with name <d> already exists for configuration set <events>.",
        400,
    )
    missing = (
        "NotFoundException",
        "An event destination with name <x> does not exist for configuration set <events>.",
        404,
    )
    assert (
        refusal(
            sesv2.update_configuration_set_event_destination,
            ConfigurationSetName="events",
            EventDestinationName="x",
            EventDestination=sns,
        )
        == missing
    )
    assert (
        refusal(
            sesv2.delete_configuration_set_event_destination,
            ConfigurationSetName="events",
            EventDestinationName="x",
        )
        == missing
    )
    other_bus = {
        "MatchingEventTypes": ["SEND"],
        "EventBridgeDestination": {
            "EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/custom"
        },
    }
    code, message, status = refusal(
        create, ConfigurationSetName="events", EventDestinationName="b", EventDestination=other_bus
    )
    assert (code, status) == ("BadRequestException", 400)
    assert "only the default event bus" in message
    assert refusal(
        create,
        ConfigurationSetName="events",
        EventDestinationName="e",
        EventDestination={"SnsDestination": {"TopicArn": TOPIC}},
    ) == ("BadRequestException", "At least one event type must be specified.", 400)
    found = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="events")
    assert [item["Name"] for item in found["EventDestinations"]] == ["d"]


def test_aws_cli_creates_a_destination(live: ServerProcess) -> None:
    ok(aws(live, "sesv2", "create-configuration-set", "--configuration-set-name", "events"))
    destination = {
        "Enabled": True,
        "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
        "SnsDestination": {"TopicArn": TOPIC},
    }
    ok(
        aws(
            live,
            "sesv2",
            "create-configuration-set-event-destination",
            "--configuration-set-name",
            "events",
            "--event-destination-name",
            "feedback",
            "--event-destination",
            json.dumps(destination),
        )
    )
    listed = ok(
        aws(
            live,
            "sesv2",
            "get-configuration-set-event-destinations",
            "--configuration-set-name",
            "events",
        )
    )
    assert listed == {"EventDestinations": [{"Name": "feedback", **destination}]}


# ---- publishing with no other AWS service configured -----------------------------------------


def test_events_are_recorded_undeliverable_without_an_endpoint(live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events",
        EventDestination=v1_sns(types=["send", "delivery", "bounce", "complaint"]),
    )
    disabled = {**v1_sns("off"), "Enabled": False}
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=disabled
    )
    # SES's validation message to the topic of each new destination, enabled or not, kept
    # though it cannot be delivered.
    validations = published(live, validations="1")
    assert len(validations) == 2
    for validation in validations:
        assert validation["record"] == (
            "Successfully validated SNS topic for Amazon SES event publishing."
        )
        assert validation["status"] == "undeliverable"
        assert validation["target"] == {"arn": TOPIC}
        assert validation["event_type"] is None
    # A send without the set publishes nothing.
    send(live, "someone@example.org", configuration_set=None)
    assert published(live) == []

    message_id = send(live, "complaint@simulator.amazonses.com")
    events = published(live, message_id=message_id)
    assert sorted(event["event_type"] for event in events) == ["Complaint", "Delivery", "Send"]
    for event in events:
        assert event["status"] == "undeliverable"
        assert event["attempts"] == []
        assert event["service"] == "sns"
        assert event["configuration_set"] == "events"
        assert event["destination"] == "to-sns"
        assert event["target"] == {
            "arn": TOPIC,
            "subject": "Amazon SES Email Event Notification",
        }
    by_type = {event["event_type"]: event["record"] for event in events}
    delivery = by_type["Delivery"]
    assert delivery["eventType"] == "Delivery"
    mail = delivery["mail"]
    assert mail["messageId"] == message_id
    assert mail["source"] == SENDER
    assert mail["sourceArn"] == f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{SENDER}"
    assert mail["sendingAccountId"] == ACCOUNT
    assert mail["destination"] == ["complaint@simulator.amazonses.com"]
    assert mail["headersTruncated"] is False
    names = [header["name"] for header in mail["headers"]]
    assert names[:3] == ["From", "To", "Subject"]
    assert "DKIM-Signature" not in names and "Message-ID" not in names
    assert mail["commonHeaders"] == {
        "from": [SENDER],
        "to": ["complaint@simulator.amazonses.com"],
        "messageId": message_id,
        "subject": "Order 42",
    }
    assert mail["tags"] == {
        "campaign": ["spring"],
        "ses:operation": ["SendEmail"],
        "ses:configuration-set": ["events"],
        "ses:source-ip": ["127.0.0.1"],
        "ses:from-domain": ["example.com"],
        "ses:caller-identity": ["root"],
        "ses:outgoing-ip": ["127.0.0.1"],
    }
    assert "ses:outgoing-ip" not in by_type["Send"]["mail"]["tags"]
    assert by_type["Send"]["send"] == {}
    assert delivery["delivery"]["recipients"] == ["complaint@simulator.amazonses.com"]
    assert delivery["delivery"]["smtpResponse"].startswith("250 ")
    complaint = by_type["Complaint"]["complaint"]
    assert complaint["complainedRecipients"] == [
        {"emailAddress": "complaint@simulator.amazonses.com"}
    ]
    assert complaint["complaintFeedbackType"] == "abuse"
    # The same records under the outbox's own listing.
    outbox = httpx.get(f"{live.url}/_poolmail/outbox", params={"owner": message_id}).json()
    assert len(outbox["records"]) == 3
    assert httpx.get(f"{live.url}/_poolmail/ses/events", params={"limit": "0"}).status_code == 400


def test_cloudwatch_dimensions_and_raw_headers(live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="events")
    dimensions = [
        {
            "DimensionName": "campaign",
            "DimensionValueSource": "MESSAGE_TAG",
            "DefaultDimensionValue": "none",
        },
        {
            "DimensionName": "X-Team",
            "DimensionValueSource": "EMAIL_HEADER",
            "DefaultDimensionValue": "nobody",
        },
        {
            "DimensionName": "ses:from-domain",
            "DimensionValueSource": "MESSAGE_TAG",
            "DefaultDimensionValue": "none",
        },
    ]
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="events",
        EventDestinationName="metrics",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SEND"],
            "CloudWatchDestination": {"DimensionConfigurations": dimensions},
        },
    )
    raw = (
        f'From: Shop <{SENDER}>\r\nTo: a@example.org, "B, b" <b@example.org>\r\n'
        "Subject: Raw\r\n one\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nX-Team: growth\r\n"
        "\r\nbody\r\n"
    )
    message_id = sesv2.send_email(
        Content={"Raw": {"Data": raw.encode()}}, ConfigurationSetName="events"
    )["MessageId"]
    (event,) = published(live, message_id=message_id)
    assert event["service"] == "cloudwatch"
    assert event["target"] == {"arn": "AWS/SES", "namespace": "AWS/SES"}
    (datum,) = event["record"]
    assert datum["MetricName"] == "Send"
    assert datum["Value"] == 1.0
    assert datum["Unit"] == "Count"
    assert datum["Dimensions"] == [
        {"Name": "campaign", "Value": "none"},
        {"Name": "X-Team", "Value": "growth"},
        {"Name": "ses:from-domain", "Value": "example.com"},
    ]


def test_a_raw_send_keeps_its_headers_in_the_record(live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=v1_sns(types=["send"])
    )
    raw = (
        f'From: Shop <{SENDER}>\r\nTo: a@example.org, "B, b" <b@example.org>\r\n'
        "Subject: Raw\r\n one\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n"
    )
    message_id = ses.send_raw_email(
        RawMessage={"Data": raw.encode()}, ConfigurationSetName="events"
    )["MessageId"]
    (event,) = published(live, message_id=message_id)
    mail = event["record"]["mail"]
    assert mail["source"] == f"Shop <{SENDER}>"
    assert mail["headers"][:4] == [
        {"name": "From", "value": f"Shop <{SENDER}>"},
        {"name": "To", "value": 'a@example.org, "B, b" <b@example.org>'},
        {"name": "Subject", "value": "Raw one"},
        {"name": "Date", "value": "Tue, 01 Dec 2026 10:00:00 +0000"},
    ]
    assert mail["commonHeaders"] == {
        "from": [f"Shop <{SENDER}>"],
        "to": ["a@example.org", '"B, b" <b@example.org>'],
        "date": "Tue, 01 Dec 2026 10:00:00 +0000",
        "messageId": message_id,
        "subject": "Raw one",
    }
    assert mail["tags"]["ses:operation"] == ["SendRawEmail"]


# ---- the console -------------------------------------------------------------------------------


def test_console_shows_destinations_and_the_delivery_log(live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=v1_sns()
    )
    message_id = send(live, "bounce@simulator.amazonses.com")
    page = httpx.get(f"{live.url}/console/ses/events")
    assert page.status_code == 200
    # The page's own markup and links (other sections' nav links are theirs to test).
    problems = page_problems(live, page.text)
    assert [p for p in problems if "answers" not in p or "/ses/events" in p] == []
    assert 'data-destination="to-sns"' in page.text
    assert TOPIC in page.text
    assert "SEND, BOUNCE" in page.text
    assert page.text.count('class="log-entry"') == 3  # validation, Send, Bounce
    assert message_id in page.text
    assert "undeliverable" in page.text
    identities = httpx.get(f"{live.url}/console/ses/identities")
    assert "/console/ses/events?" in identities.text


def test_an_unsubscribe_is_published_as_a_subscription_event(live: ServerProcess) -> None:
    production_access(live)
    verify(live, "brand.example")
    sesv2 = live.client("sesv2")
    topics = [
        {"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"}
    ]
    sesv2.create_contact_list(ContactListName="customers", Topics=topics)
    sesv2.create_configuration_set(ConfigurationSetName="events")
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="events",
        EventDestinationName="bus",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SUBSCRIPTION"],
            "EventBridgeDestination": {"EventBusArn": BUS},
        },
    )
    message_id = sesv2.send_email(
        FromEmailAddress="news@brand.example",
        Destination={"ToAddresses": ["ann@readers.example"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Weekly"},
                "Body": {"Text": {"Data": "Read on. {{amazonSESUnsubscribeUrl}}"}},
            }
        },
        ConfigurationSetName="events",
        ListManagementOptions={"ContactListName": "customers", "TopicName": "weekly"},
    )["MessageId"]
    assert published(live, message_id=message_id) == []
    raw = httpx.get(f"{live.url}/_poolmail/messages/{message_id}/raw").text
    url = raw.split("List-Unsubscribe: <", 1)[1].split(">", 1)[0]
    clicked = httpx.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200
    (event,) = published(live, message_id=message_id)
    assert event["event_type"] == "Subscription"
    assert event["service"] == "events"
    assert event["target"]["detail_type"] == "Email Subscribed"
    subscription = event["record"]["subscription"]
    assert event["record"]["eventType"] == "Subscription"
    assert subscription["contactList"] == "customers"
    assert subscription["newTopicPreferences"]["topicSubscriptionStatus"] == [
        {"topicName": "weekly", "subscriptionStatus": "OptOut"}
    ]
    assert "recipient" not in subscription


def test_serve_documents_the_endpoint_options() -> None:
    import subprocess
    import sys

    text = subprocess.run(
        [sys.executable, "-m", "poolmail", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = " ".join(text.split())  # argparse wraps the help at the terminal's width
    for service in ("sns", "events", "firehose", "cloudwatch"):
        assert f"--{service}-endpoint-url" in text
        assert f"env POOLMAIL_{service.upper()}_ENDPOINT_URL" in text


def test_console_in_a_browser(browser: Browser, live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=v1_sns(types=["bounce"])
    )
    message_id = send(live, "bounce@simulator.amazonses.com")
    context = browser.new_context(base_url=live.url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/console/ses/identities")
        page.get_by_role("link", name="Event destinations and the delivery log").click()
        expect(page.locator("h1")).to_contain_text("SES event publishing")
        expect(page.locator("tr[data-destination='to-sns']")).to_contain_text(TOPIC)
        bounce = page.locator(".log-entry", has_text="Bounce")
        expect(bounce).to_contain_text("undeliverable")
        bounce.get_by_text("Record").click()
        expect(bounce.locator("pre")).to_contain_text(message_id)
        bounce.get_by_role("link", name=message_id).click()
        expect(page).to_have_url(re.compile(f"/console/mail/{message_id}"))
    finally:
        context.close()


def test_a_templated_send_event_lacks_source_arn_and_subject(live: ServerProcess) -> None:
    production_access(live)
    verify(live, SENDER)
    ses = live.client("ses")
    ses.create_template(
        Template={"TemplateName": "hello", "SubjectPart": "Hi {{name}}", "TextPart": "x"}
    )
    ses.create_configuration_set(ConfigurationSet={"Name": "events"})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="events", EventDestination=v1_sns(types=["send", "delivery"])
    )
    message_id = ses.send_templated_email(
        Source=SENDER,
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Template="hello",
        TemplateData='{"name": "Ann"}',
        ConfigurationSetName="events",
    )["MessageId"]
    records = {e["event_type"]: e["record"] for e in published(live, message_id=message_id)}
    # AWS quirk (LocalStack's AWS snapshot): "the subject is rendered later".
    assert "sourceArn" not in records["Send"]["mail"]
    assert "subject" not in records["Send"]["mail"]["commonHeaders"]
    assert records["Send"]["mail"]["tags"]["ses:operation"] == ["SendTemplatedEmail"]
    delivered = records["Delivery"]["mail"]
    assert delivered["sourceArn"] == f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{SENDER}"
    assert delivered["commonHeaders"]["subject"] == "Hi Ann"
