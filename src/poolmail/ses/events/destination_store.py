"""The event destinations of configuration sets, as stored: SES v2's
EventDestinationDefinition shape, with the v1 spelling of each part beside it.

Depends on nothing of SES but the store, so configuration_sets.py can drop a deleted set's
destinations and read them for v1's DescribeConfigurationSet without an import cycle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.store import Transaction

# v2's EventType enum and v1's, which has no DELIVERY_DELAY or SUBSCRIPTION [model].
V2_TO_V1_TYPES = {
    "SEND": "send",
    "REJECT": "reject",
    "BOUNCE": "bounce",
    "COMPLAINT": "complaint",
    "DELIVERY": "delivery",
    "OPEN": "open",
    "CLICK": "click",
    "RENDERING_FAILURE": "renderingFailure",
}
V1_TO_V2_TYPES = {v1: v2 for v2, v1 in V2_TO_V1_TYPES.items()}
# The mailbox's event types (mail/mailbox.py Event.type) under v2's enum.
MAILBOX_TO_V2_TYPES = {
    "Send": "SEND",
    "Reject": "REJECT",
    "Bounce": "BOUNCE",
    "Complaint": "COMPLAINT",
    "Delivery": "DELIVERY",
    "Open": "OPEN",
    "Click": "CLICK",
    "RenderingFailure": "RENDERING_FAILURE",
    "DeliveryDelay": "DELIVERY_DELAY",
    "Subscription": "SUBSCRIPTION",
}
V2_TO_V1_SOURCES = {
    "MESSAGE_TAG": "messageTag",
    "EMAIL_HEADER": "emailHeader",
    "LINK_TAG": "linkTag",
}
V1_TO_V2_SOURCES = {v1: v2 for v2, v1 in V2_TO_V1_SOURCES.items()}


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    created_at: float
    # EventDestinationDefinition (v2): Enabled, MatchingEventTypes and one destination.
    definition: dict[str, Any]

    @property
    def enabled(self) -> bool:
        return bool(self.definition.get("Enabled"))

    def matches(self, mailbox_type: str) -> bool:
        wanted = MAILBOX_TO_V2_TYPES.get(mailbox_type)
        return wanted is not None and wanted in self.definition.get("MatchingEventTypes", [])


def for_set(
    tx: Transaction, account: str, region: str, configuration_set: str
) -> list[Destination]:
    """A set's destinations, oldest first: one query on the table's key prefix."""
    rows = tx.fetchall(
        "SELECT name, created_at, data FROM ses_event_destinations "
        "WHERE account = ? AND region = ? AND configuration_set = ? ORDER BY created_at, name",
        (account, region, configuration_set),
    )
    return [Destination(str(name), float(at), json.loads(data)) for name, at, data in rows]


def add(
    tx: Transaction,
    account: str,
    region: str,
    configuration_set: str,
    name: str,
    definition: dict[str, Any],
    now: float,
) -> bool:
    """Store a new destination; False when the set already has one of that name."""
    return bool(
        tx.execute(
            "INSERT INTO ses_event_destinations "
            "(account, region, configuration_set, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (account, region, configuration_set, name, now, json.dumps(definition)),
        )
    )


def replace(
    tx: Transaction,
    account: str,
    region: str,
    configuration_set: str,
    name: str,
    definition: dict[str, Any],
) -> bool:
    """Replace a destination's definition; False when there is no such destination."""
    return bool(
        tx.execute(
            "UPDATE ses_event_destinations SET data = ? "
            "WHERE account = ? AND region = ? AND configuration_set = ? AND name = ?",
            (json.dumps(definition), account, region, configuration_set, name),
        )
    )


def remove(tx: Transaction, account: str, region: str, configuration_set: str, name: str) -> bool:
    return bool(
        tx.execute(
            "DELETE FROM ses_event_destinations "
            "WHERE account = ? AND region = ? AND configuration_set = ? AND name = ?",
            (account, region, configuration_set, name),
        )
    )


def remove_set(tx: Transaction, account: str, region: str, configuration_set: str) -> None:
    """Drop every destination of a deleted configuration set."""
    tx.execute(
        "DELETE FROM ses_event_destinations "
        "WHERE account = ? AND region = ? AND configuration_set = ?",
        (account, region, configuration_set),
    )


def v2_shape(destination: Destination) -> dict[str, Any]:
    """GetConfigurationSetEventDestinations' EventDestination."""
    definition = destination.definition
    shape: dict[str, Any] = {
        "Name": destination.name,
        "Enabled": bool(definition.get("Enabled")),
        "MatchingEventTypes": list(definition.get("MatchingEventTypes", [])),
    }
    for kind in (
        "KinesisFirehoseDestination",
        "CloudWatchDestination",
        "SnsDestination",
        "EventBridgeDestination",
        "PinpointDestination",
    ):
        if kind in definition:
            shape[kind] = definition[kind]
    return shape


def v1_shape(destination: Destination) -> dict[str, Any]:
    """DescribeConfigurationSet's EventDestination.

    Choice: v1 has no DELIVERY_DELAY or SUBSCRIPTION, nor EventBridge or Pinpoint
    destinations; a destination made through v2 with them shows its other event types, and
    no destination member at all for those two kinds, rather than being hidden.
    """
    definition = destination.definition
    shape: dict[str, Any] = {
        "Name": destination.name,
        "Enabled": bool(definition.get("Enabled")),
        "MatchingEventTypes": [
            V2_TO_V1_TYPES[kind]
            for kind in definition.get("MatchingEventTypes", [])
            if kind in V2_TO_V1_TYPES
        ],
    }
    firehose = definition.get("KinesisFirehoseDestination")
    if firehose is not None:
        shape["KinesisFirehoseDestination"] = {
            "IAMRoleARN": firehose["IamRoleArn"],
            "DeliveryStreamARN": firehose["DeliveryStreamArn"],
        }
    cloudwatch = definition.get("CloudWatchDestination")
    if cloudwatch is not None:
        shape["CloudWatchDestination"] = {
            "DimensionConfigurations": [
                {
                    **dimension,
                    "DimensionValueSource": V2_TO_V1_SOURCES[dimension["DimensionValueSource"]],
                }
                for dimension in cloudwatch["DimensionConfigurations"]
            ]
        }
    sns = definition.get("SnsDestination")
    if sns is not None:
        shape["SNSDestination"] = {"TopicARN": sns["TopicArn"]}
    return shape


def v1_destinations(
    tx: Transaction, account: str, region: str, configuration_set: str
) -> list[dict[str, Any]]:
    """The set's destinations as DescribeConfigurationSet lists them."""
    return [v1_shape(found) for found in for_set(tx, account, region, configuration_set)]
