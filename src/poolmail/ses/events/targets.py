"""Where an event record goes for each kind of event destination: the outbox record
(aws_services/outbox.py) SES's delivery to SNS, Firehose, EventBridge, CloudWatch or
Pinpoint stands for.

- SNS: the record's JSON is the Message, with Subject "Amazon SES Email Event
  Notification" (LocalStack's AWS-recorded snapshot; django-ses/django-ses#178).
- Firehose: the JSON is the record (the sender appends the line break AWS writes).
- EventBridge: an event of source `aws.ses` on the default bus, its detail-type one of
  AWS's (events-ref-ses), the record as its detail, the configuration set as resource.
- CloudWatch: one `AWS/SES` datum per event, named for the event type (`Send`, ...,
  `RenderingFailure`), with the destination's dimensions.
- Pinpoint: an `_email.*` event of the project (best effort; see docs/ses-events.md).
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.aws_services import outbox
from poolmail.config import Settings
from poolmail.mail.mailbox import Event
from poolmail.ses.events.destination_store import Destination
from poolmail.ses.events.records import Mail, iso
from poolmail.store import Transaction

SOURCE = "ses:eventDestination"
VALIDATION_SOURCE = "ses:eventDestination:validation"
SNS_SUBJECT = "Amazon SES Email Event Notification"
VALIDATION_MESSAGE = "Successfully validated SNS topic for Amazon SES event publishing."
NAMESPACE = "AWS/SES"
DETAIL_TYPES = {
    "Send": "Email Sent",
    "Reject": "Email Rejected",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
    "Delivery": "Email Delivered",
    "Open": "Email Opened",
    "Click": "Email Clicked",
    "RenderingFailure": "Email Rendering Failed",
    "DeliveryDelay": "Email Delivery Delayed",
    "Subscription": "Email Subscribed",
}
# Pinpoint's names for SES's events (Pinpoint's event stream reference, `_email.*`).
PINPOINT_TYPES = {
    "Send": "_email.send",
    "Reject": "_email.rejected",
    "Bounce": "_email.hardbounce",
    "Complaint": "_email.complaint",
    "Delivery": "_email.delivered",
    "Open": "_email.open",
    "Click": "_email.click",
    "RenderingFailure": "_email.rendering_failure",
    "DeliveryDelay": "_email.delivery_delay",
    "Subscription": "_email.unsubscribe",
}


def region_of(arn: str, fallback: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else fallback


def compact(value: Any) -> str:
    """JSON as SES writes it: no spaces."""
    return json.dumps(value, separators=(",", ":"))


def queue(
    tx: Transaction,
    settings: Settings,
    destination: Destination,
    mail: Mail,
    event: Event,
    record: dict[str, Any],
    now: float,
) -> None:
    """The outbox record carrying ``record`` (the event ``event`` of ``mail``) to
    ``destination``."""
    message = mail.message
    configuration_set = str(message.details["configuration_set"])
    about = {
        "configuration_set": configuration_set,
        "destination": destination.name,
        "message_id": message.id,
        "event_type": event.type,
    }
    target, payload = _target(destination, mail, event, record, about)
    outbox.add(
        tx,
        settings,
        account=message.account,
        source=SOURCE,
        owner=message.id,
        target=target,
        payload=payload,
        now=now,
    )


def _target(
    destination: Destination,
    mail: Mail,
    event: Event,
    record: dict[str, Any],
    about: dict[str, str],
) -> tuple[outbox.Target, str]:
    definition = destination.definition
    message = mail.message
    home = message.region
    if "SnsDestination" in definition:
        arn = definition["SnsDestination"]["TopicArn"]
        extra = {"subject": SNS_SUBJECT, **about}
        return outbox.Target("sns", arn, region_of(arn, home), extra), compact(record)
    if "KinesisFirehoseDestination" in definition:
        arn = definition["KinesisFirehoseDestination"]["DeliveryStreamArn"]
        return outbox.Target("firehose", arn, region_of(arn, home), about), compact(record)
    if "EventBridgeDestination" in definition:
        arn = definition["EventBridgeDestination"]["EventBusArn"]
        resource = (
            f"arn:aws:ses:{home}:{message.account}:configuration-set/{about['configuration_set']}"
        )
        extra = {
            "source": "aws.ses",
            "detail_type": DETAIL_TYPES[event.type],
            "resource": resource,
            **about,
        }
        return outbox.Target("events", arn, region_of(arn, home), extra), compact(record)
    if "CloudWatchDestination" in definition:
        dimensions = [
            {"Name": item["DimensionName"], "Value": _dimension_value(item, mail, event)}
            for item in definition["CloudWatchDestination"]["DimensionConfigurations"]
        ]
        datum = {
            "MetricName": event.type,
            "Dimensions": dimensions,
            "Timestamp": event.at,
            "Value": 1.0,
            "Unit": "Count",
        }
        target = outbox.Target("cloudwatch", NAMESPACE, home, {"namespace": NAMESPACE, **about})
        return target, compact([datum])
    arn = definition["PinpointDestination"]["ApplicationArn"]
    events = {
        f"{message.id}-{about['event_type']}-{event.at}": {
            "EventType": PINPOINT_TYPES[event.type],
            "Timestamp": iso(event.at),
            "Attributes": {"message_id": message.id, "destination": ",".join(message.recipients)},
        }
    }
    request = {"BatchItem": {message.id: {"Endpoint": {}, "Events": events}}}
    return outbox.Target("pinpoint", arn, region_of(arn, home), about), compact(request)


def _dimension_value(item: dict[str, str], mail: Mail, event: Event) -> str:
    """A dimension's value from where its source says; the default when it is not there."""
    name = item["DimensionName"]
    source = item["DimensionValueSource"]
    value: Any = None
    if source == "MESSAGE_TAG":
        value = mail.tags().get(name)
    elif source == "EMAIL_HEADER":
        value = mail.header(name)
    else:
        # A click's link tags: `linkTags{name: [values]}`.
        found = (event.detail.get("linkTags") or {}).get(name)
        value = found[0] if isinstance(found, list) and found else found
    return str(value) if value else item["DefaultDimensionValue"]


def queue_validation(
    tx: Transaction, settings: Settings, account: str, region: str, topic_arn: str, now: float
) -> None:
    """SES's message to a new SNS destination's topic: no Subject, AWS's text."""
    outbox.add(
        tx,
        settings,
        account=account,
        source=VALIDATION_SOURCE,
        owner=topic_arn,
        target=outbox.Target("sns", topic_arn, region_of(topic_arn, region), {}),
        payload=VALIDATION_MESSAGE,
        now=now,
    )
