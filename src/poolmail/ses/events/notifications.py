"""Identity notifications: SES v1 SetIdentityNotificationTopic,
SetIdentityFeedbackForwardingEnabled, SetIdentityHeadersInNotificationsEnabled,
GetIdentityNotificationAttributes, v2 PutEmailIdentityFeedbackAttributes, and ``publish``,
which turns a message's Bounce, Complaint and Delivery events into SNS notifications for
its identity's topics and forwarded feedback mail.

The settings live in the identity's row (``ses_identities.data``), so deleting the identity
drops them: ``NotificationTopics`` (`{"Bounce": arn, ...}`), ``HeadersInNotifications``
(`{"Bounce": true, ...}`) and ``FeedbackForwardingStatus`` (absent = on, SES's default;
v2 GetEmailIdentity reads the same key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from poolmail.aws_services import outbox
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.events import forwarding, notification_records
from poolmail.ses.events.topics import topic_exists
from poolmail.ses.identities.verification import (
    identity_lock,
    load,
    normalize_identity,
    update_data,
)
from poolmail.store import Transaction

TOPICS = "NotificationTopics"
HEADERS = "HeadersInNotifications"
FORWARDING = "FeedbackForwardingStatus"
TYPES = ("Bounce", "Complaint", "Delivery")
# AWS quirk: "This operation can return notification attributes for up to 100 identities
# at a time" (GetIdentityNotificationAttributes API reference).
MAX_IDENTITIES = 100
SOURCE = "ses:identityNotification"
# Mail SES itself sends (verification, auto-replies, feedback, bounces) notifies no one.
# Cognito's mail through the pool owner's identity (DEVELOPER) does, as any of its mail.
_NOT_NOTIFIED = ("ses-verification", "ses-simulator-auto-reply", forwarding.KIND, "ses-bounce")
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}")


# --- reading and writing the settings -------------------------------------------------------


def _invalid_identity(given: str) -> AwsError:
    # Real SES text (boto/boto3#2645), for an identity that is not the caller's in the region.
    return AwsError(
        "InvalidParameterValue",
        f"Identity {given} is invalid. Must be a verified email address or domain.",
    )


def _identity_name(ctx: RequestContext, given: str, v2: bool) -> str:
    """The stored name of ``given`` (a name or this account's identity ARN in the region).

    Choice: any identity of the account in the region may be configured, pending ones
    included (infrastructure tools set topics right after creating an identity)."""
    name = given
    if given.startswith("arn:") and not v2:
        parts = given.split(":", 5)
        expected = ["arn", parts[1] if len(parts) > 1 else "", "ses", ctx.region, ctx.account_id]
        if len(parts) != 6 or parts[:5] != expected or not parts[5].startswith("identity/"):
            raise _invalid_identity(given)
        name = parts[5].removeprefix("identity/")
    return normalize_identity(name)[0]


# An identity's settings: its topics and headers by notification type, and forwarding.
Notifying = tuple[dict[str, str], dict[str, bool], bool]
Change = Callable[[dict[str, str], dict[str, bool], bool], Notifying]


def _settings(data: dict[str, Any]) -> Notifying:
    topics = dict(data.get(TOPICS) or {})
    headers = dict(data.get(HEADERS) or {})
    return topics, headers, bool(data.get(FORWARDING, True))


def _update(ctx: RequestContext, given: str, change: Change, *, v2: bool = False) -> None:
    """Apply ``change(topics, headers, forwarding) -> (topics, headers, forwarding)`` to
    the identity's settings under its lock; AWS's error for an unknown identity."""
    name = _identity_name(ctx, given, v2)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        row = load(tx, ctx.account_id, ctx.region, name)
        if row is None:
            if v2:
                raise AwsError("NotFoundException", f"Email identity {given} does not exist.")
            raise _invalid_identity(given)
        topics, headers, enabled = change(*_settings(row.data))
        update_data(
            tx,
            ctx.account_id,
            ctx.region,
            name,
            {
                TOPICS: topics or None,
                HEADERS: {key: True for key, on in headers.items() if on} or None,
                # Stored only when off: absent is SES's default, on.
                FORWARDING: None if enabled else False,
            },
        )


def _check_topic(ctx: RequestContext, topic: str) -> None:
    """An SNS topic ARN in the identity's region.

    AWS quirk: SES refuses a topic of another region with `InvalidParameterValue` naming
    the topic (docs: configure-sns-notifications; binxio/cfn-ses-provider#16). Choice: the
    rest of AWS's text was not found; poolmail says what is wrong. A topic the SNS
    endpoint says does not exist is refused with the text SES gives an SNS event
    destination's; with no endpoint (or none answering) nothing more is checked."""
    match = _TOPIC_ARN.fullmatch(topic)
    if match is None:
        raise AwsError("InvalidParameterValue", f"SNS topic <{topic}> is not a valid topic ARN.")
    if match.group(1) != ctx.region:
        raise AwsError(
            "InvalidParameterValue",
            f"SNS topic <{topic}> is invalid: it must be in the identity's region {ctx.region}.",
        )
    if topic_exists(ctx.settings, topic) is False:
        raise AwsError("InvalidParameterValue", f"SNS topic <{topic}> not found.")


# --- operations -----------------------------------------------------------------------------


def set_identity_notification_topic(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = params["NotificationType"]
    topic = params.get("SnsTopic") or None
    if topic is not None:
        _check_topic(ctx, topic)

    def change(topics: dict[str, str], headers: dict[str, bool], enabled: bool) -> Notifying:
        if topic is not None:
            return {**topics, kind: topic}, headers, enabled
        topics.pop(kind, None)
        # Choice: clearing a topic turns its headers setting off (it may only be set with a
        # topic), and clearing a Bounce or Complaint topic turns forwarding back on, as SES
        # does when it removes a topic it cannot publish to (configure-sns-notifications).
        headers.pop(kind, None)
        return topics, headers, enabled or kind in ("Bounce", "Complaint")

    _update(ctx, params["Identity"], change)
    return {}


def set_identity_feedback_forwarding_enabled(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    wanted = bool(params["ForwardingEnabled"])

    def change(topics: dict[str, str], headers: dict[str, bool], enabled: bool) -> Notifying:
        if not wanted and not ("Bounce" in topics and "Complaint" in topics):
            # AWS quirk: "can only be set to false when Amazon SNS topics are set for both
            # Bounce and Complaint notification types" [model]. Choice: the text is poolmail's.
            raise AwsError(
                "InvalidParameterValue",
                "Feedback forwarding can only be disabled when Amazon SNS topics are set "
                "for both Bounce and Complaint notification types.",
            )
        return topics, headers, wanted

    _update(ctx, params["Identity"], change)
    return {}


def set_identity_headers_in_notifications_enabled(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    kind = params["NotificationType"]
    wanted = bool(params["Enabled"])

    def change(topics: dict[str, str], headers: dict[str, bool], enabled: bool) -> Notifying:
        # AWS quirk: "can only be set when NotificationType is already set to use a
        # particular Amazon SNS topic" [model]. Choice: turning it off is always accepted
        # (tools send `false` for types without a topic); the text is poolmail's.
        if wanted and kind not in topics:
            raise AwsError(
                "InvalidParameterValue",
                f"Headers in {kind} notifications can only be enabled when an Amazon SNS "
                f"topic is set for {kind} notifications.",
            )
        return topics, {**headers, kind: wanted}, enabled

    _update(ctx, params["Identity"], change)
    return {}


def attributes(data: dict[str, Any]) -> dict[str, Any]:
    """An identity's `IdentityNotificationAttributes`."""
    topics, headers, enabled = _settings(data)
    return {
        "BounceTopic": topics.get("Bounce", ""),
        "ComplaintTopic": topics.get("Complaint", ""),
        "DeliveryTopic": topics.get("Delivery", ""),
        "ForwardingEnabled": enabled,
        "HeadersInBounceNotificationsEnabled": bool(headers.get("Bounce", False)),
        "HeadersInComplaintNotificationsEnabled": bool(headers.get("Complaint", False)),
        "HeadersInDeliveryNotificationsEnabled": bool(headers.get("Delivery", False)),
    }


def get_identity_notification_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """Choice: identities the account does not have are left out, as
    GetIdentityVerificationAttributes leaves them out."""
    given: list[str] = params["Identities"]
    if len(given) > MAX_IDENTITIES:
        raise AwsError(
            "InvalidParameterValue",
            f"Cannot request notification attributes for more than {MAX_IDENTITIES} identities.",
        )
    wanted = {name: normalize_identity(name)[0] for name in given}
    found: dict[str, dict[str, Any]] = {}
    if wanted:
        stored = sorted(set(wanted.values()))
        marks = ", ".join("?" for _ in stored)
        with ctx.db.transaction(readonly=True) as tx:
            rows = tx.fetchall(
                "SELECT identity, data FROM ses_identities "
                f"WHERE account = ? AND region = ? AND identity IN ({marks})",
                (ctx.account_id, ctx.region, *stored),
            )
        found = {identity: json.loads(data) for identity, data in rows}
    return {
        "NotificationAttributes": {
            name: attributes(found[key]) for name, key in wanted.items() if key in found
        }
    }


def put_email_identity_feedback_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """v2: no topic requirement; without a Bounce or Complaint topic SES still forwards that
    feedback by email ("even if this setting is disabled", [model])."""
    wanted = bool(params.get("EmailForwardingEnabled", False))

    def change(topics: dict[str, str], headers: dict[str, bool], enabled: bool) -> Notifying:
        return topics, headers, wanted

    _update(ctx, params["EmailIdentity"], change, v2=True)
    return {}


V1: dict[str, Handler] = {
    "SetIdentityNotificationTopic": set_identity_notification_topic,
    "SetIdentityFeedbackForwardingEnabled": set_identity_feedback_forwarding_enabled,
    "SetIdentityHeadersInNotificationsEnabled": set_identity_headers_in_notifications_enabled,
    "GetIdentityNotificationAttributes": get_identity_notification_attributes,
}
V2: dict[str, Handler] = {
    "PutEmailIdentityFeedbackAttributes": put_email_identity_feedback_attributes,
}


# --- publishing -----------------------------------------------------------------------------


def _owner(message: StoredMessage) -> tuple[str, str, str] | None:
    """(account, region, identity) whose settings apply to ``message``: the identity that
    authorised it (the owner's, for delegate sending). The most specific verified identity
    covering the From is the one recorded at send time, so a verified address uses its own
    settings and an address of a verified domain the domain's (notification-contents)."""
    arn = message.details.get("source_arn")
    if arn:
        parts = str(arn).split(":", 5)
        if len(parts) == 6 and parts[5].startswith("identity/"):
            name = parts[5].removeprefix("identity/")
            return parts[4], parts[3], normalize_identity(name)[0]
    identity = message.details.get("identity")
    if not identity:
        return None
    return message.account, message.region, str(identity)


def publish(
    tx: Transaction,
    settings: Settings,
    message: StoredMessage,
    events: Sequence[Event],
    now: float,
) -> None:
    """Outbox records for the Bounce, Complaint and Delivery topics of the identity that
    sent the message; feedback forwarding mail when it is on, or when the type has no topic.

    Cost: nothing for events of other types; one primary-key read of the identity's row
    otherwise."""
    relevant = [event for event in events if event.type in TYPES]
    if not relevant or message.details.get("kind") in _NOT_NOTIFIED:
        return
    if message.details.get("email_sending_account") == "COGNITO_DEFAULT":
        return  # sent through Cognito's own SES account, not the pool owner's identity
    owner = _owner(message)
    if owner is None:
        return
    account, region, identity = owner
    row = load(tx, account, region, identity)
    if row is None:
        return
    topics, headers, enabled = _settings(row.data)
    feedback: dict[str, list[Event]] = {"Bounce": [], "Complaint": []}
    for event in relevant:
        topic = topics.get(event.type)
        if topic is not None:
            record = notification_records.notification(
                message,
                event,
                account=account,
                region=region,
                identity=identity,
                headers=bool(headers.get(event.type)),
            )
            outbox.add(
                tx,
                settings,
                account=account,
                source=SOURCE,
                owner=identity,
                # AWS quirk: identity notifications are published with no Subject.
                target=outbox.Target("sns", topic, topic.split(":")[3], {}),
                payload=json.dumps(record),
                now=now,
            )
        if event.type in feedback and (enabled or topic is None):
            feedback[event.type].append(event)
    for event_type, found in feedback.items():
        forwarding.forward(tx, message, event_type, found, now)
