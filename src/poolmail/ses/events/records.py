"""AWS's event record JSON for configuration-set event publishing: the `eventType`, the
`mail` object and the per-type object (docs.aws.amazon.com/ses/latest/dg/
event-publishing-retrieving-sns-contents.html), as SNS, Firehose and EventBridge carry it.

``Mail`` reads a stored message once (headers parsed from its raw MIME, tags gathered) and
then makes the record of each of its events.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.ses.identities.coverage import bare_address

# The mailbox's event types AWS publishes, with AWS's `eventType` (note the space in
# "Rendering Failure") and the member that holds the per-type object.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "Send": ("Send", "send"),
    "Reject": ("Reject", "reject"),
    "Bounce": ("Bounce", "bounce"),
    "Complaint": ("Complaint", "complaint"),
    "Delivery": ("Delivery", "delivery"),
    "Open": ("Open", "open"),
    "Click": ("Click", "click"),
    "RenderingFailure": ("Rendering Failure", "failure"),
    "DeliveryDelay": ("DeliveryDelay", "deliveryDelay"),
    "Subscription": ("Subscription", "subscription"),
}
# "headersTruncated: whether the headers are truncated ... if the headers are larger than
# 10 KB" (event-publishing-retrieving-sns-contents.html).
HEADERS_LIMIT = 10 * 1024
# Headers SES itself adds on the way out: they are not among the message's own headers in
# an event (AWS's examples list From, To, Subject, MIME-Version, Content-Type); SES's
# Message-ID is `commonHeaders.messageId` instead.
_ADDED_BY_SES = {"dkim-signature", "feedback-id", "x-ses-outgoing", "message-id"}
# Choice: poolmail runs as the IAM identity of the account's root credentials (any access
# key maps to an account, DESIGN.md), the name AWS shows for them in public payloads.
CALLER_IDENTITY = "root"
_SMTP_DELIVERED = "250 2.6.0 Message received"
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_NAMESPACE = uuid.UUID("5b0d1c9e-3f44-4a8e-9d43-5e8f1f0c2a61")


def iso(moment: float) -> str:
    """AWS's event timestamp: ISO 8601, milliseconds, `Z`."""
    when = dt.datetime.fromtimestamp(moment, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def operation_of(details: dict[str, Any]) -> str:
    """The `ses:operation` tag: the v1 operation whose kind of send this was.

    Choice: SES v2 SendEmail is named by its content (Raw → SendRawEmail, Template →
    SendTemplatedEmail, else SendEmail), as v1 names the same sends; SMTP mail is raw.
    """
    if details.get("bulk"):
        return "SendBulkTemplatedEmail"
    if details.get("template") is not None:
        return "SendTemplatedEmail"
    if details.get("raw"):
        return "SendRawEmail"
    return "SendEmail"


class Mail:
    """One stored message, read once for all its event records."""

    def __init__(self, message: StoredMessage, outgoing_ip: str) -> None:
        self.message = message
        self.outgoing_ip = outgoing_ip
        self.details = message.details
        self.headers, self.truncated = _headers(message)
        self._tags: dict[str, str] | None = None

    def tags(self) -> dict[str, str]:
        """The message's tags, custom and automatic, one value each (dimension lookups)."""
        if self._tags is None:
            self._tags = self._gather_tags()
        return self._tags

    def _gather_tags(self) -> dict[str, str]:
        details = self.details
        tags = dict(details.get("tags") or {})
        tags["ses:operation"] = operation_of(details)
        if details.get("configuration_set"):
            tags["ses:configuration-set"] = details["configuration_set"]
        # Choice: a send with no caller address (Cognito's own, the console's) is tagged
        # with the loopback address, poolmail's own.
        tags["ses:source-ip"] = details.get("source_ip") or "127.0.0.1"
        tags["ses:from-domain"] = bare_address(self.message.source).rpartition("@")[2].lower()
        tags["ses:caller-identity"] = CALLER_IDENTITY
        return tags

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for header in self.headers:
            if header["name"].lower() == wanted:
                return str(header["value"])
        return None

    def record(self, event: Event) -> dict[str, Any]:
        """The event record of ``event`` (one of EVENT_TYPES)."""
        event_type, member = EVENT_TYPES[event.type]
        # AWS's member order: the type, its object, then the mail.
        return {"eventType": event_type, member: self._object(event), "mail": self._mail(event)}

    def _mail(self, event: Event) -> dict[str, Any]:
        message = self.message
        templated_send = event.type == "Send" and self.details.get("template") is not None
        mail: dict[str, Any] = {
            "timestamp": iso(message.created_at),
            "source": message.source,
        }
        source_arn = self._source_arn()
        # AWS quirk: a templated message's Send event has no sourceArn and no subject: "the
        # subject is rendered later" (LocalStack's AWS-recorded test_ses.snapshot.json).
        if source_arn and not templated_send:
            mail["sourceArn"] = source_arn
        mail["sendingAccountId"] = message.account
        mail["messageId"] = message.id
        mail["destination"] = list(message.recipients)
        mail["headersTruncated"] = self.truncated
        mail["headers"] = self.headers
        mail["commonHeaders"] = self._common_headers(templated_send)
        tags = {name: [value] for name, value in self.tags().items()}
        if event.type == "Delivery":
            tags["ses:outgoing-ip"] = [self.outgoing_ip]
        mail["tags"] = tags
        return mail

    def _source_arn(self) -> str | None:
        details = self.details
        if details.get("source_arn"):
            return str(details["source_arn"])
        identity = details.get("identity")
        if not identity:
            return None
        message = self.message
        return f"arn:aws:ses:{message.region}:{message.account}:identity/{identity}"

    def _common_headers(self, templated_send: bool) -> dict[str, Any]:
        common: dict[str, Any] = {}
        for key, name in (("from", "From"), ("replyTo", "Reply-To"), ("to", "To"), ("cc", "Cc")):
            values = [h["value"] for h in self.headers if h["name"].lower() == name.lower()]
            if values:
                common[key] = [part.strip() for value in values for part in _split(value)]
        date = self.header("Date")
        if date is not None:
            common["date"] = date
        common["messageId"] = self.message.id
        if not templated_send:
            common["subject"] = self.message.subject
        return common

    def _object(self, event: Event) -> dict[str, Any]:
        detail = event.detail
        at = event.at
        kind = event.type
        if kind == "Send":
            return {}
        if kind == "Reject":
            # "The only possible value is Bad content" (the reject object's reference).
            return {"reason": "Bad content"}
        if kind == "Bounce":
            return self._bounce(event, at)
        if kind == "Complaint":
            return self._complaint(event, at)
        if kind == "Delivery":
            return self._delivery(event, at)
        if kind == "DeliveryDelay":
            return _pick(
                detail,
                ["delayType", "expirationTime", "delayedRecipients", "reportingMTA"],
                {"timestamp": iso(at)},
            )
        if kind in ("Open", "Click"):
            names = ["ipAddress", "userAgent", "link", "linkTags"]
            return _pick(detail, names, {"timestamp": iso(at)})
        if kind == "RenderingFailure":
            return _pick(detail, ["templateName", "errorMessage"], {})
        # Subscription: the contact list's record of the change, as stored.
        return _pick(
            detail,
            ["contactList", "timestamp", "source", "newTopicPreferences", "oldTopicPreferences"],
            {"timestamp": iso(at)},
        )

    def _feedback_id(self, event: Event) -> str:
        given = event.detail.get("feedbackId")
        if given:
            return str(given)
        # Stable for one event, in the shape of an SES id (`<hex time>-<uuid>-000000`).
        seed = f"{self.message.id}/{event.type}/{event.detail.get('recipient')}/{event.at}"
        return f"{int(event.at * 1000):016x}-{uuid.uuid5(_NAMESPACE, seed)}-000000"

    def _bounce(self, event: Event, at: float) -> dict[str, Any]:
        detail = event.detail
        recipient: dict[str, Any] = {"emailAddress": detail.get("recipient", "")}
        for key in ("action", "status", "diagnosticCode"):
            if detail.get(key) is not None:
                recipient[key] = detail[key]
        bounce: dict[str, Any] = {
            "feedbackId": self._feedback_id(event),
            "bounceType": detail.get("bounceType", "Undetermined"),
            "bounceSubType": detail.get("bounceSubType", "Undetermined"),
            "bouncedRecipients": [recipient],
            "timestamp": iso(at),
        }
        if detail.get("reportingMTA"):
            bounce["reportingMTA"] = detail["reportingMTA"]
        return bounce

    def _complaint(self, event: Event, at: float) -> dict[str, Any]:
        detail = event.detail
        complaint: dict[str, Any] = {
            "feedbackId": self._feedback_id(event),
            "complaintSubType": detail.get("complaintSubType"),
            "complainedRecipients": [{"emailAddress": detail.get("recipient", "")}],
            "timestamp": iso(at),
        }
        if detail.get("userAgent"):
            complaint["userAgent"] = detail["userAgent"]
        if detail.get("complaintFeedbackType"):
            complaint["complaintFeedbackType"] = detail["complaintFeedbackType"]
        arrival = detail.get("arrivalDate")
        if arrival is not None:
            complaint["arrivalDate"] = iso(arrival) if isinstance(arrival, int | float) else arrival
        return complaint

    def _delivery(self, event: Event, at: float) -> dict[str, Any]:
        detail = event.detail
        region = self.message.region
        default_mta = (
            "a8-70.smtp-out.amazonses.com"
            if region == "us-east-1"
            else f"a8-70.smtp-out.{region}.amazonses.com"
        )
        elapsed = detail.get("processingTimeMillis")
        if not isinstance(elapsed, int):
            elapsed = max(0, round((at - self.message.created_at) * 1000))
        return {
            "timestamp": iso(at),
            "processingTimeMillis": elapsed,
            "recipients": [detail.get("recipient", "")],
            "smtpResponse": detail.get("smtpResponse", _SMTP_DELIVERED),
            "reportingMTA": detail.get("reportingMTA", default_mta),
        }


def _pick(detail: dict[str, Any], names: list[str], base: dict[str, Any]) -> dict[str, Any]:
    found = dict(base)
    for name in names:
        if detail.get(name) is not None:
            found[name] = detail[name]
    return found


def _split(value: str) -> list[str]:
    """An address header's entries, split at commas outside quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        if char == "," and not quoted and not angled:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _headers(message: StoredMessage) -> tuple[list[dict[str, str]], bool]:
    """The message's own headers in order (unfolded), and whether they were cut at 10 KB."""
    if not message.raw:
        return [], False
    parsed = BytesHeaderParser(policy=compat32).parsebytes(message.raw)
    raw_send = bool(message.details.get("raw"))
    headers: list[dict[str, str]] = []
    size = 0
    for name, value in parsed.items():
        lowered = name.lower()
        # SES writes the Date of a message built from parts; a raw message keeps its own.
        if lowered in _ADDED_BY_SES or (lowered == "date" and not raw_send):
            continue
        text = _UNFOLD.sub("", str(value)).strip()
        size += len(name) + len(text) + 4
        if size > HEADERS_LIMIT:
            return headers, True
        headers.append({"name": name, "value": text})
    return headers, False
