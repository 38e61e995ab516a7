"""VDM metrics from the sending history: BatchGetMetricData, and the daily series a
metrics export writes (``daily_counts``).

Choices (AWS's method is not public): a message counts on the UTC day it was sent, all
of its events with it; days without a counted message are left out of the answer; the
rules of the model's Metric documentation apply (only single-recipient mail outside the
mailbox simulator counts; opens and clicks are unique per message; suppression-list
bounces and complaints are not counted). DELIVERY_OPEN and DELIVERY_CLICK count
deliveries of mail with an HTML body given as such (Simple or templated content: where a
tracker can be; raw mail is not parsed for it); DELIVERY_COMPLAINT counts deliveries
to ISPs with a feedback loop (every known ISP but Gmail).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.insights.history import Sent, sent_messages
from poolmail.ses.insights.isp import WITHOUT_FEEDBACK_LOOP, isp_of
from poolmail.store import Transaction

DAY = 86400.0
METRICS = (
    "SEND",
    "COMPLAINT",
    "PERMANENT_BOUNCE",
    "TRANSIENT_BOUNCE",
    "OPEN",
    "CLICK",
    "DELIVERY",
    "DELIVERY_OPEN",
    "DELIVERY_CLICK",
    "DELIVERY_COMPLAINT",
)
_SUPPRESSED = "OnAccountSuppressionList"


def counts_of(message: Sent) -> Counter[str]:
    """What ``message`` adds to each metric (nothing when VDM does not count it)."""
    found: Counter[str] = Counter()
    if not message.counted:
        return found
    kinds = [kind for kind, _, _ in message.events]
    deliveries = kinds.count("Delivery")
    found["SEND"] = 1 if "Send" in kinds else 0
    found["DELIVERY"] = deliveries
    for kind, _, detail in message.events:
        if kind == "Bounce" and detail.get("bounceSubType") != _SUPPRESSED:
            if detail.get("bounceType") == "Permanent":
                found["PERMANENT_BOUNCE"] += 1
            elif detail.get("bounceType") == "Transient":
                found["TRANSIENT_BOUNCE"] += 1
        elif kind == "Complaint" and detail.get("complaintSubType") != _SUPPRESSED:
            found["COMPLAINT"] += 1
    found["OPEN"] = 1 if "Open" in kinds else 0
    found["CLICK"] = 1 if "Click" in kinds else 0
    if message.has_html:
        found["DELIVERY_OPEN"] = deliveries
        found["DELIVERY_CLICK"] = deliveries
    if isp_of(message.recipients[0]) not in WITHOUT_FEEDBACK_LOOP:
        found["DELIVERY_COMPLAINT"] = deliveries
    return found


def dimension_values(message: Sent) -> dict[str, str | None]:
    return {
        "EMAIL_IDENTITY": message.identity,
        "CONFIGURATION_SET": message.configuration_set,
        "ISP": isp_of(message.recipients[0]) if message.recipients else None,
        "TENANT_NAME": message.tenant,
    }


def _selected(message: Sent, dimensions: Mapping[str, Iterable[str]]) -> bool:
    """Whether the message's dimensions are among the values asked (ISP names and
    identities case-insensitively, configuration sets and tenants exactly)."""
    values = dimension_values(message)
    for name, wanted in dimensions.items():
        have = values.get(name)
        if have is None:
            return False
        if name in ("ISP", "EMAIL_IDENTITY"):
            if have.lower() not in {value.lower() for value in wanted}:
                return False
        elif have not in set(wanted):
            return False
    return True


def day_of(at: float) -> float:
    return float(int(at // DAY) * DAY)


def daily_counts(
    tx: Transaction,
    account: str,
    region: str,
    start: float,
    end: float,
    dimensions: Mapping[str, Iterable[str]],
) -> dict[float, Counter[str]]:
    """Per UTC day (its start, epoch seconds) with counted mail: each metric's volume."""
    days: dict[float, Counter[str]] = {}
    for message in sent_messages(tx, account, region, start, end):
        if not message.counted or not _selected(message, dimensions):
            continue
        days.setdefault(day_of(message.created_at), Counter()).update(counts_of(message))
    return dict(sorted(days.items()))


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _check_dates(start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
    if end < start:
        # Choice: AWS's text was not found.
        raise _bad("EndDate must not be earlier than StartDate.")
    return start.timestamp(), end.timestamp()


def batch_get_metric_data(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    queries = params["Queries"]
    ids = [query["Id"] for query in queries]
    if len(set(ids)) != len(ids):
        # Choice: AWS's text for a repeated query id was not found.
        raise _bad("Query identifiers must be unique within a batch.")
    checked = [(query, *_check_dates(query["StartDate"], query["EndDate"])) for query in queries]
    results = []
    with ctx.db.transaction(readonly=True) as tx:
        for query, start, end in checked:
            dimensions = {name: [value] for name, value in (query.get("Dimensions") or {}).items()}
            days = daily_counts(tx, ctx.account_id, ctx.region, start, end, dimensions)
            metric = query["Metric"]
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": list(days),
                    "Values": [counts[metric] for counts in days.values()],
                }
            )
    return {"Results": results, "Errors": []}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"BatchGetMetricData": batch_get_metric_data}
