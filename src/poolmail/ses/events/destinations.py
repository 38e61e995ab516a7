"""Configuration-set event destinations (SES v1 and v2) and publishing events to them.

v1's and v2's operations share one store (destination_store.py), so each API sees the
other's destinations. ``publish`` is called by ses/events/publishing.py in the transaction
that stores a message's events; it costs nothing for a message without a configuration
set and one indexed query for a message with one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SESV2
from poolmail.ses.configuration import sets as configuration_sets
from poolmail.ses.events import destination_store, records, targets, topics
from poolmail.ses.events.destination_store import V1_TO_V2_SOURCES, V1_TO_V2_TYPES
from poolmail.store import Transaction

# [dg:quotas] 10 event destinations per configuration set, 10 dimensions per CloudWatch
# destination.
MAX_DESTINATIONS = 10
MAX_DIMENSIONS = 10
_NAME = re.compile(r"[A-Za-z0-9_-]+")
# v1's rule [model CloudWatchDimensionConfiguration]: letters, digits, `_`, `-`, `:`, ≤256
# (v2's text leaves the colon out, yet AWS's own `ses:` tags are the usual dimensions).
_DIMENSION_NAME = re.compile(r"[A-Za-z0-9_:-]{1,256}")
_DIMENSION_VALUE = re.compile(r"[A-Za-z0-9_\-@.]{1,256}")
_FIREHOSE_ARN = re.compile(r"arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[\w.-]+")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
_BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus/default")
_PINPOINT_ARN = re.compile(r"arn:aws[a-z-]*:mobiletargeting:[a-z0-9-]+:\d{12}:apps/[\w-]+")
_KINDS = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)


class _Refusal:
    """The error codes of one API: v1's model shapes, or v2's BadRequestException."""

    def __init__(self, v2: bool, configuration_set: str, name: str) -> None:
        self.v2 = v2
        self.fields = {"ConfigurationSetName": configuration_set, "EventDestinationName": name}

    def invalid(self, message: str, v1_code: str = "InvalidParameterValue") -> AwsError:
        if self.v2:
            return AwsError("BadRequestException", message)
        fields = self.fields if v1_code != "InvalidParameterValue" else {}
        return AwsError(v1_code, message, status=400, fields=fields)


def _check_name(name: str, refuse: _Refusal) -> None:
    # Texts as floci-io/floci records SES answering them (SesService.java, 2026).
    if not _NAME.fullmatch(name):
        raise refuse.invalid(
            f"Invalid event destination name <{name}>: only alphanumeric ASCII characters, "
            "'_', and '-' are allowed."
        )
    if len(name) > 64:
        raise refuse.invalid("Event destination name cannot exceed 64 characters.")


def _definition(given: dict[str, Any], v2: bool, refuse: _Refusal) -> dict[str, Any]:
    """The v2 EventDestinationDefinition for what either API was given; AWS's refusal of
    a definition that breaks the documented rules."""
    if v2:
        types = list(given.get("MatchingEventTypes") or [])
        kinds = {kind: given[kind] for kind in _KINDS if given.get(kind) is not None}
    else:
        types = [V1_TO_V2_TYPES.get(kind, kind) for kind in given.get("MatchingEventTypes") or []]
        kinds = {}
        if given.get("KinesisFirehoseDestination") is not None:
            firehose = given["KinesisFirehoseDestination"]
            kinds["KinesisFirehoseDestination"] = {
                "IamRoleArn": firehose["IAMRoleARN"],
                "DeliveryStreamArn": firehose["DeliveryStreamARN"],
            }
        if given.get("CloudWatchDestination") is not None:
            dimensions = given["CloudWatchDestination"]["DimensionConfigurations"]
            kinds["CloudWatchDestination"] = {
                "DimensionConfigurations": [
                    {
                        **item,
                        "DimensionValueSource": V1_TO_V2_SOURCES.get(
                            item["DimensionValueSource"], item["DimensionValueSource"]
                        ),
                    }
                    for item in dimensions
                ]
            }
        if given.get("SNSDestination") is not None:
            kinds["SnsDestination"] = {"TopicArn": given["SNSDestination"]["TopicARN"]}
    if not types:
        raise refuse.invalid("At least one event type must be specified.")
    order = list(destination_store.MAILBOX_TO_V2_TYPES.values())
    for kind in types:
        # The protocol layer checks the enum; a value of the other API's spelling is not
        # in this one's (v1 has no DELIVERY_DELAY or SUBSCRIPTION).
        if kind not in order or (not v2 and kind not in destination_store.V2_TO_V1_TYPES):
            raise refuse.invalid(f"Invalid event type: {kind}.")
    if not kinds:
        raise refuse.invalid("Event destination is not provided.")
    if len(kinds) > 1:
        raise refuse.invalid(
            "Please provide only one destination with each request. Either a Firehose "
            "Destination or a Cloudwatch Destination or an SNS Destination or an EventBridge "
            "Destination."
        )
    _check_kind(kinds, refuse)
    # Duplicates collapse, in AWS's enum order, so both APIs read back one list.
    definition: dict[str, Any] = {
        "Enabled": bool(given.get("Enabled", False)),
        "MatchingEventTypes": sorted(set(types), key=order.index),
    }
    definition.update(kinds)
    return definition


def _check_kind(kinds: dict[str, Any], refuse: _Refusal) -> None:
    """Each destination's own rules. Choice: AWS's texts for these were not found; these
    state the documented rule, under the v1 error the model names for that kind."""
    if "SnsDestination" in kinds:
        arn = kinds["SnsDestination"]["TopicArn"]
        if not re.fullmatch(topics.TOPIC_ARN, arn):
            raise refuse.invalid(f"SNS topic <{arn}> not found.", "InvalidSNSDestinationException")
    if "KinesisFirehoseDestination" in kinds:
        firehose = kinds["KinesisFirehoseDestination"]
        if not _FIREHOSE_ARN.fullmatch(firehose["DeliveryStreamArn"]):
            raise refuse.invalid(
                f"Invalid delivery stream ARN <{firehose['DeliveryStreamArn']}>.",
                "InvalidFirehoseDestinationException",
            )
        if not _ROLE_ARN.fullmatch(firehose["IamRoleArn"]):
            raise refuse.invalid(
                f"Invalid IAM role ARN <{firehose['IamRoleArn']}>.",
                "InvalidFirehoseDestinationException",
            )
    if "CloudWatchDestination" in kinds:
        _check_dimensions(kinds["CloudWatchDestination"]["DimensionConfigurations"], refuse)
    if "EventBridgeDestination" in kinds:
        arn = kinds["EventBridgeDestination"]["EventBusArn"]
        if not _BUS_ARN.fullmatch(arn):
            # "Only the default bus is supported" [model EventBridgeDestination].
            raise refuse.invalid(
                f"Invalid event bus ARN <{arn}>: only the default event bus is supported."
            )
    if "PinpointDestination" in kinds:
        arn = kinds["PinpointDestination"].get("ApplicationArn") or ""
        if not _PINPOINT_ARN.fullmatch(arn):
            raise refuse.invalid(f"Invalid Pinpoint application ARN provided: {arn}.")


def _check_dimensions(dimensions: list[dict[str, str]], refuse: _Refusal) -> None:
    code = "InvalidCloudWatchDestinationException"
    if not dimensions:
        raise refuse.invalid(
            "CloudWatch metrics dimension configuration list cannot be empty.", code
        )
    if len(dimensions) > MAX_DIMENSIONS:
        raise refuse.invalid(
            f"A CloudWatch destination can have at most {MAX_DIMENSIONS} dimensions.", code
        )
    seen: set[str] = set()
    for item in dimensions:
        name, value = item["DimensionName"], item["DefaultDimensionValue"]
        if item["DimensionValueSource"] not in destination_store.V2_TO_V1_SOURCES:
            raise refuse.invalid(
                f"Invalid dimension value source <{item['DimensionValueSource']}>.", code
            )
        if not _DIMENSION_NAME.fullmatch(name):
            raise refuse.invalid(
                f"Invalid dimension name <{name}>: only ASCII letters, numbers, '_', '-' and "
                "':' are allowed, at most 256 characters.",
                code,
            )
        if not _DIMENSION_VALUE.fullmatch(value):
            raise refuse.invalid(
                f"Invalid default dimension value <{value}>: only ASCII letters, numbers, "
                "'_', '-', '@' and '.' are allowed, at most 256 characters.",
                code,
            )
        if name in seen:
            raise refuse.invalid(f"Duplicate dimension name <{name}>.", code)
        seen.add(name)


def _set_missing(configuration_set: str, v2: bool) -> AwsError:
    # AWS quirk: the name in angle brackets (as configuration_sets.py answers).
    message = f"Configuration set <{configuration_set}> does not exist."
    if v2:
        return AwsError("NotFoundException", message)
    return AwsError(
        "ConfigurationSetDoesNotExistException",
        message,
        fields={"ConfigurationSetName": configuration_set},
    )


def _require_set(tx: Transaction, ctx: RequestContext, configuration_set: str, v2: bool) -> None:
    if not configuration_sets.exists(tx, ctx.account_id, ctx.region, configuration_set):
        raise _set_missing(configuration_set, v2)


def _destination_missing(configuration_set: str, name: str, v2: bool) -> AwsError:
    if v2:
        # floci-io/floci's record of SES v2's text.
        return AwsError(
            "NotFoundException",
            f"An event destination with name <{name}> does not exist for configuration set "
            f"<{configuration_set}>.",
        )
    # LocalStack's AWS-recorded snapshot (test_ses.snapshot.json).
    return AwsError(
        "EventDestinationDoesNotExistException",
        f"No EventDestination found for {configuration_set}",
        fields={"ConfigurationSetName": configuration_set, "EventDestinationName": name},
    )


def _lock(ctx: RequestContext, configuration_set: str) -> str:
    return f"ses-event-destinations:{ctx.account_id}:{ctx.region}:{configuration_set}"


def _check_topic(ctx: RequestContext, definition: dict[str, Any], refuse: _Refusal) -> None:
    """SES's check of an SNS destination's topic, before anything is stored. With no SNS
    endpoint, or one that cannot be reached, nothing can be checked: the destination is
    kept and its deliveries wait in the outbox (docs/ses-events.md)."""
    sns = definition.get("SnsDestination")
    if sns is None:
        return
    arn = sns["TopicArn"]
    if topics.topic_exists(ctx.settings, arn) is False:
        raise refuse.invalid(f"SNS topic <{arn}> not found.", "InvalidSNSDestinationException")


def _create(
    ctx: RequestContext, configuration_set: str, name: str, given: dict[str, Any], v2: bool
) -> None:
    refuse = _Refusal(v2, configuration_set, name)
    _check_name(name, refuse)
    definition = _definition(given, v2, refuse)
    with ctx.db.transaction(readonly=True) as tx:
        _check_room(tx, ctx, configuration_set, name, v2)
    _check_topic(ctx, definition, refuse)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(ctx, configuration_set)) as tx:
        # Checked again under the lock: the topic check ran outside any transaction.
        _check_room(tx, ctx, configuration_set, name, v2)
        destination_store.add(
            tx, ctx.account_id, ctx.region, configuration_set, name, definition, now
        )
        if "SnsDestination" in definition:
            arn = definition["SnsDestination"]["TopicArn"]
            targets.queue_validation(tx, ctx.settings, ctx.account_id, ctx.region, arn, now)


def _check_room(
    tx: Transaction, ctx: RequestContext, configuration_set: str, name: str, v2: bool
) -> None:
    _require_set(tx, ctx, configuration_set, v2)
    existing = destination_store.for_set(tx, ctx.account_id, ctx.region, configuration_set)
    if any(found.name == name for found in existing):
        # floci-io/floci's record of SES's text; v1's code is the model's.
        message = (
            f"An event destination with name <{name}> already exists for configuration set "
            f"<{configuration_set}>."
        )
        if v2:
            raise AwsError("AlreadyExistsException", message)
        raise AwsError(
            "EventDestinationAlreadyExistsException",
            message,
            fields={"ConfigurationSetName": configuration_set, "EventDestinationName": name},
        )
    if len(existing) >= MAX_DESTINATIONS:
        # Choice: AWS's text was not found; this one states the quota (dg:quotas).
        message = (
            f"Configuration set <{configuration_set}> already has the maximum of "
            f"{MAX_DESTINATIONS} event destinations."
        )
        raise AwsError("LimitExceededException", message)


def _update(
    ctx: RequestContext, configuration_set: str, name: str, given: dict[str, Any], v2: bool
) -> None:
    """Replace a destination's definition with the one given (Choice: members left out take
    their defaults, as in a creation; the API documents no merge)."""
    refuse = _Refusal(v2, configuration_set, name)
    definition = _definition(given, v2, refuse)
    with ctx.db.transaction(readonly=True) as tx:
        _check_present(tx, ctx, configuration_set, name, v2)
    _check_topic(ctx, definition, refuse)
    with ctx.db.transaction(lock=_lock(ctx, configuration_set)) as tx:
        before = _check_present(tx, ctx, configuration_set, name, v2)
        destination_store.replace(
            tx, ctx.account_id, ctx.region, configuration_set, name, definition
        )
        old_topic = (before.definition.get("SnsDestination") or {}).get("TopicArn")
        new_topic = (definition.get("SnsDestination") or {}).get("TopicArn")
        if new_topic and new_topic != old_topic:
            now = ctx.clock.now().timestamp()
            targets.queue_validation(tx, ctx.settings, ctx.account_id, ctx.region, new_topic, now)


def _check_present(
    tx: Transaction, ctx: RequestContext, configuration_set: str, name: str, v2: bool
) -> destination_store.Destination:
    _require_set(tx, ctx, configuration_set, v2)
    existing = destination_store.for_set(tx, ctx.account_id, ctx.region, configuration_set)
    for found in existing:
        if found.name == name:
            return found
    raise _destination_missing(configuration_set, name, v2)


# --- the operations -----------------------------------------------------------------------


def _addressed(
    ctx: RequestContext, params: dict[str, Any]
) -> tuple[str, str, dict[str, Any], bool]:
    """The set, the destination's name, its definition as given, and whether v2 sent it:
    v2 names the destination beside its definition, v1 inside it."""
    configuration_set = params["ConfigurationSetName"]
    given = params["EventDestination"]
    if ctx.service == SESV2:
        return configuration_set, params["EventDestinationName"], given, True
    return configuration_set, given["Name"], given, False


def create_configuration_set_event_destination(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _create(ctx, *_addressed(ctx, params))
    return {}


def update_configuration_set_event_destination(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _update(ctx, *_addressed(ctx, params))
    return {}


@local_only
def delete_configuration_set_event_destination(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    configuration_set = params["ConfigurationSetName"]
    name = params["EventDestinationName"]
    v2 = ctx.service == SESV2
    with ctx.db.transaction(lock=_lock(ctx, configuration_set)) as tx:
        _require_set(tx, ctx, configuration_set, v2)
        if not destination_store.remove(tx, ctx.account_id, ctx.region, configuration_set, name):
            raise _destination_missing(configuration_set, name, v2)
    return {}


@local_only
def get_configuration_set_event_destinations(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    configuration_set = params["ConfigurationSetName"]
    with ctx.db.transaction(readonly=True) as tx:
        _require_set(tx, ctx, configuration_set, True)
        found = destination_store.for_set(tx, ctx.account_id, ctx.region, configuration_set)
    return {"EventDestinations": [destination_store.v2_shape(item) for item in found]}


V1: dict[str, Handler] = {
    "CreateConfigurationSetEventDestination": create_configuration_set_event_destination,
    "UpdateConfigurationSetEventDestination": update_configuration_set_event_destination,
    "DeleteConfigurationSetEventDestination": delete_configuration_set_event_destination,
}
V2: dict[str, Handler] = {
    **V1,
    "GetConfigurationSetEventDestinations": get_configuration_set_event_destinations,
}


# --- publishing ---------------------------------------------------------------------------


def _outgoing_ip(settings: Settings) -> str:
    """`ses:outgoing-ip`. Choice: the address poolmail listens on, the host its mail
    leaves from; the loopback address when it listens on every interface."""
    import ipaddress

    try:
        address = ipaddress.ip_address(settings.host)
    except ValueError:
        return "127.0.0.1"
    return "127.0.0.1" if address.is_unspecified else str(address)


def publish(
    tx: Transaction,
    settings: Settings,
    message: StoredMessage,
    events: Sequence[Event],
    now: float,
) -> None:
    """Outbox records for the enabled destinations of the message's configuration set
    whose MatchingEventTypes include each event."""
    configuration_set = message.details.get("configuration_set")
    if not configuration_set:
        return
    published = [event for event in events if event.type in records.EVENT_TYPES]
    if not published:
        return
    found = destination_store.for_set(tx, message.account, message.region, configuration_set)
    enabled = [destination for destination in found if destination.enabled]
    if not enabled:
        return
    # A dedicated IP the message left from (ses/dedicated_ips/ips.py), else poolmail's own.
    mail = records.Mail(message, message.details.get("outgoing_ip") or _outgoing_ip(settings))
    for event in published:
        record: dict[str, Any] | None = None
        for destination in enabled:
            if destination.matches(event.type):
                record = record or mail.record(event)
                targets.queue(tx, settings, destination, mail, event, record, now)
