"""The JSON of an identity notification (the SNS `Message` of SetIdentityNotificationTopic's
topics): `notificationType`, `mail`, and one of `bounce`, `complaint`, `delivery`.

It differs from the event records of configuration-set destinations: the key is
`notificationType`, `mail` carries no `tags` ("If using feedback notifications directly on
the identity, SES does not publish tags") and headers only when the identity asks for them,
and `bounce`/`delivery` add `remoteMtaIp`
(docs.aws.amazon.com/ses/latest/dg/notification-contents.html, notification-examples.html).
"""

from __future__ import annotations

import datetime as dt
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.ses.sending import simulator

# AWS quirk: "headersTruncated" is true when the headers pass 10 KB (notification-contents).
HEADERS_LIMIT = 10 * 1024
# Headers SES adds as it sends, not the caller's (facts §4): left out of `headers`.
_ADDED_BY_SES = ("feedback-id", "x-ses-outgoing")


def iso(moment: float) -> str:
    """`2016-01-27T14:59:38.237Z`: ISO 8601 in UTC with milliseconds, as SES writes times."""
    stamp = dt.datetime.fromtimestamp(moment, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def identity_arn(region: str, account: str, identity: str) -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{identity}"


def _header_list(raw: bytes | None) -> tuple[list[dict[str, str]], bool, dict[str, Any]]:
    """The original headers in order, whether they were cut at 10 KB, commonHeaders."""
    if not raw:
        return [], False, {}
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    headers: list[dict[str, str]] = []
    size = 0
    truncated = False
    for name, value in parsed.items():
        text = " ".join(str(value).split())
        lowered = name.lower()
        if lowered in _ADDED_BY_SES or (lowered == "dkim-signature" and "d=amazonses.com" in text):
            continue
        size += len(name) + len(text) + 4
        if size > HEADERS_LIMIT:
            truncated = True
            break
        headers.append({"name": name, "value": text})
    common: dict[str, Any] = {}
    for key, header in (("returnPath", "Return-Path"), ("date", "Date")):
        if parsed.get(header):
            common[key] = " ".join(str(parsed[header]).split())
    for key, header in (("from", "From"), ("replyTo", "Reply-To"), ("to", "To"), ("cc", "Cc")):
        values = parsed.get_all(header) or []
        if values:
            common[key] = [part.strip() for value in values for part in str(value).split(",")]
    if parsed.get("Message-ID"):
        common["messageId"] = str(parsed["Message-ID"]).strip()
    if parsed.get("Subject") is not None:
        common["subject"] = " ".join(str(parsed["Subject"]).split())
    return headers, truncated, common


def mail_object(
    message: StoredMessage, account: str, region: str, identity: str, *, headers: bool
) -> dict[str, Any]:
    """The notification's `mail`: no tags; headers only when ``headers``.

    Choice: `sourceIp` and `callerIdentity` are left out, as poolmail does not know the
    caller's public address or IAM user."""
    mail: dict[str, Any] = {
        "timestamp": iso(message.created_at),
        "source": message.source,
        "sourceArn": message.details.get("source_arn") or identity_arn(region, account, identity),
        "sendingAccountId": message.account,
        "messageId": message.id,
        "destination": list(message.recipients),
    }
    if headers:
        listed, truncated, common = _header_list(message.raw)
        mail["headersTruncated"] = truncated
        mail["headers"] = listed
        mail["commonHeaders"] = common
    return mail


def _bounce(event: Event) -> dict[str, Any]:
    detail = event.detail
    recipient: dict[str, Any] = {"emailAddress": detail.get("recipient", "")}
    for key in ("action", "status", "diagnosticCode"):
        if detail.get(key) is not None:
            recipient[key] = detail[key]
    bounce: dict[str, Any] = {
        "bounceType": detail.get("bounceType", "Undetermined"),
        "bounceSubType": detail.get("bounceSubType", "Undetermined"),
        "bouncedRecipients": [recipient],
        "timestamp": iso(event.at),
        "feedbackId": detail.get("feedbackId") or simulator.feedback_id(event.at),
    }
    for key in ("remoteMtaIp", "reportingMTA"):
        if detail.get(key):
            bounce[key] = detail[key]
    return bounce


def _complaint(event: Event) -> dict[str, Any]:
    detail = event.detail
    complaint: dict[str, Any] = {
        "feedbackId": detail.get("feedbackId") or simulator.feedback_id(event.at),
        "complaintSubType": detail.get("complaintSubType"),
        "complainedRecipients": [{"emailAddress": detail.get("recipient", "")}],
        "timestamp": iso(event.at),
    }
    if detail.get("userAgent"):
        complaint["userAgent"] = detail["userAgent"]
    if detail.get("complaintFeedbackType"):
        complaint["complaintFeedbackType"] = detail["complaintFeedbackType"]
    if detail.get("arrivalDate") is not None:
        complaint["arrivalDate"] = iso(float(detail["arrivalDate"]))
    return complaint


def _delivery(event: Event) -> dict[str, Any]:
    detail = event.detail
    delivery: dict[str, Any] = {
        "timestamp": iso(event.at),
        "processingTimeMillis": int(detail.get("processingTimeMillis", 0)),
        "recipients": [detail.get("recipient", "")],
        "smtpResponse": detail.get("smtpResponse", simulator.DELIVERED_RESPONSE),
    }
    for key in ("remoteMtaIp", "reportingMTA"):
        if detail.get(key):
            delivery[key] = detail[key]
    return delivery


_OBJECTS = {"Bounce": ("bounce", _bounce), "Complaint": ("complaint", _complaint)}
_OBJECTS["Delivery"] = ("delivery", _delivery)
TYPES = tuple(_OBJECTS)


def notification(
    message: StoredMessage,
    event: Event,
    *,
    account: str,
    region: str,
    identity: str,
    headers: bool,
) -> dict[str, Any]:
    """The notification of ``event`` (Bounce, Complaint or Delivery) of ``message``."""
    key, build = _OBJECTS[event.type]
    return {
        "notificationType": event.type,
        key: build(event),
        "mail": mail_object(message, account, region, identity, headers=headers),
    }
