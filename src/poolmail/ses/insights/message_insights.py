"""GetMessageInsights: a sent message's from address, subject, tags and, per
destination, its ISP and events, read from the mailbox. Also the rows of a message
insights export (``export_rows``), filtered as MessageInsightsDataSource says."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from poolmail.context import RequestContext
from poolmail.mail import mailbox
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.insights.history import SENT_KIND, Sent, sent_messages
from poolmail.ses.insights.isp import bare, isp_of
from poolmail.store import Transaction

# The mailbox's event types as the model's EventType names them; the mailbox's own
# bookkeeping (Relayed, AutoReply, ...) is no SES event.
EVENT_TYPES = {
    "Send": "SEND",
    "Reject": "REJECT",
    "Bounce": "BOUNCE",
    "Complaint": "COMPLAINT",
    "Delivery": "DELIVERY",
    "Open": "OPEN",
    "Click": "CLICK",
    "RenderingFailure": "RENDERING_FAILURE",
    "Rendering Failure": "RENDERING_FAILURE",
    "DeliveryDelay": "DELIVERY_DELAY",
    "Subscription": "SUBSCRIPTION",
}
_BOUNCE_TYPES = {"Permanent": "PERMANENT", "Transient": "TRANSIENT"}
# Export defaults: "If you don't specify MaxResults, the export returns a maximum of
# 1,000 results" (the model's MessageInsightsDataSource).
DEFAULT_MAX_RESULTS = 1000
# The model's LastDeliveryEvent order: SEND < BOUNCE < DELIVERY < COMPLAINT.
_DELIVERY_ORDER = {"SEND": 0, "BOUNCE": 1, "DELIVERY": 2, "COMPLAINT": 3}


def _missing(message_id: str) -> AwsError:
    # Choice: AWS's text for an unknown message id was not found.
    return AwsError("NotFoundException", f"Message {message_id} does not exist.")


def insight_event(kind: str, at: float, detail: dict[str, Any]) -> dict[str, Any] | None:
    """One InsightsEvent (Timestamp, Type, Details) of a mailbox event; None for the
    mailbox's bookkeeping."""
    wire_type = EVENT_TYPES.get(kind)
    if wire_type is None:
        return None
    event: dict[str, Any] = {"Timestamp": at, "Type": wire_type}
    if wire_type == "BOUNCE":
        bounce: dict[str, Any] = {
            "BounceType": _BOUNCE_TYPES.get(str(detail.get("bounceType")), "UNDETERMINED")
        }
        if detail.get("bounceSubType"):
            bounce["BounceSubType"] = str(detail["bounceSubType"])
        if detail.get("diagnosticCode"):
            bounce["DiagnosticCode"] = str(detail["diagnosticCode"])
        event["Details"] = {"Bounce": bounce}
    elif wire_type == "COMPLAINT":
        complaint = {
            name: str(detail[key])
            for name, key in (
                ("ComplaintSubType", "complaintSubType"),
                ("ComplaintFeedbackType", "complaintFeedbackType"),
            )
            if detail.get(key)
        }
        event["Details"] = {"Complaint": complaint}
    return event


def _insights(message: Sent) -> list[dict[str, Any]]:
    found = []
    for destination in dict.fromkeys(bare(r) for r in message.recipients):
        events = [
            event
            for event in (insight_event(*raw) for raw in message.events_for(destination))
            if event is not None
        ]
        found.append({"Destination": destination, "Isp": isp_of(destination), "Events": events})
    return found


def _tags(details: dict[str, Any]) -> list[dict[str, str]]:
    tags = details.get("tags") or {}
    if isinstance(tags, dict):
        return [{"Name": str(name), "Value": str(value)} for name, value in tags.items()]
    return []


def get_message_insights(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    message_id = params["MessageId"]
    with ctx.db.transaction(readonly=True) as tx:
        stored = mailbox.load(tx, message_id)
    if (
        stored is None
        or (stored.account, stored.region) != (ctx.account_id, ctx.region)
        or mailbox.kind_of(stored.details) != SENT_KIND
    ):
        raise _missing(message_id)
    message = Sent(
        id=stored.id,
        created_at=stored.created_at,
        source=stored.source,
        recipients=stored.recipients,
        subject=stored.subject,
        details=stored.details,
        events=[(event.type, event.at, event.detail) for event in stored.events],
    )
    answer: dict[str, Any] = {
        "MessageId": stored.id,
        "FromEmailAddress": bare(stored.source),
        "EmailTags": _tags(stored.details),
        "Insights": _insights(message),
    }
    # EmailSubject has a minimum length of 1: a message without a subject has none here.
    if stored.subject:
        answer["Subject"] = stored.subject
    return answer


# --- the export ----------------------------------------------------------------------


def _last_delivery(events: list[dict[str, Any]]) -> str | None:
    best, best_rank = None, -1
    for event in events:
        rank = _DELIVERY_ORDER.get(event["Type"])
        if rank is None or rank < best_rank:
            continue
        best_rank = rank
        if event["Type"] == "BOUNCE":
            best = f"{event['Details']['Bounce']['BounceType']}_BOUNCE"
        else:
            best = event["Type"]
    return best


def _last_engagement(events: list[dict[str, Any]]) -> str | None:
    kinds = {event["Type"] for event in events}
    return "CLICK" if "CLICK" in kinds else "OPEN" if "OPEN" in kinds else None


def _matches(row: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Whether ``row`` matches every given filter (any of a filter's values).

    Choice: addresses and ISPs match whole and case-insensitively; Subject matches when
    the subject contains it, case-insensitively."""
    for name, values in filters.items():
        if not values:
            continue
        wanted = {str(value).lower() for value in values}
        if name == "Subject":
            subject = str(row.get("subject") or "").lower()
            if not any(value in subject for value in wanted):
                return False
            continue
        field_of = {
            "FromEmailAddress": "fromEmailAddress",
            "Destination": "destination",
            "Isp": "isp",
            "TenantName": "tenantName",
            "LastDeliveryEvent": "lastDeliveryEvent",
            "LastEngagementEvent": "lastEngagementEvent",
        }[name]
        if str(row.get(field_of) or "").lower() not in wanted:
            return False
    return True


def _excluded(row: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Whether any given Exclude filter matches ``row``."""
    return any(values and _matches(row, {name: values}) for name, values in filters.items())


def _iso(at: float) -> str:
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def export_rows(
    tx: Transaction, account: str, region: str, source: dict[str, Any], seen: list[int]
) -> Iterator[dict[str, Any]]:
    """One row per message and destination sent within the source's dates, filtered;
    ``seen[0]`` counts the rows looked at (the job's ProcessedRecordsCount).

    Choice: AWS's export columns were not found; each row holds messageId,
    fromEmailAddress, subject, destination, isp, tenantName, sendTimestamp (ISO 8601),
    lastDeliveryEvent, lastEngagementEvent, emailTags (JSON text) and events (the
    InsightsEvent list as JSON text)."""
    include = source.get("Include") or {}
    exclude = source.get("Exclude") or {}
    limit = int(source.get("MaxResults") or DEFAULT_MAX_RESULTS)
    produced = 0
    for message in sent_messages(
        tx, account, region, float(source["StartDate"]), float(source["EndDate"])
    ):
        for insight in _insights(message):
            events = insight["Events"]
            row: dict[str, Any] = {
                "messageId": message.id,
                "fromEmailAddress": bare(message.source),
                "subject": message.subject,
                "destination": insight["Destination"],
                "isp": insight["Isp"],
                "tenantName": message.tenant or "",
                "sendTimestamp": _iso(message.created_at),
                "lastDeliveryEvent": _last_delivery(events) or "",
                "lastEngagementEvent": _last_engagement(events) or "",
                "emailTags": json.dumps(_tags(message.details)),
                "events": json.dumps(
                    [{**event, "Timestamp": _iso(event["Timestamp"])} for event in events]
                ),
            }
            seen[0] += 1
            if not _matches(row, include) or _excluded(row, exclude):
                continue
            yield row
            produced += 1
            if produced >= limit:
                return


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"GetMessageInsights": get_message_insights}
