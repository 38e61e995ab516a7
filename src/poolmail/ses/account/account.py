"""The SES account per region: quotas and statistics (v1), account status, details and
the production-access review (v2), and the operator's decision on a review.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import account_attributes, quota
from poolmail.store import Transaction

STATISTICS_WINDOW_SECONDS = 14 * 86400.0
BUCKET_SECONDS = 15 * 60
# The sub-type of the bounce or complaint SES records for a recipient on the account's
# suppression list (facts §1).
SUPPRESSED_SUBTYPE = "OnAccountSuppressionList"

# The account details PutAccountDetails stores and GetAccount returns (besides the review).
DETAIL_MEMBERS = (
    "MailType",
    "WebsiteURL",
    "ContactLanguage",
    "UseCaseDescription",
    "AdditionalContactEmailAddresses",
)
# AWS quirk: accounts that started using SES after 2019-11-25 suppress both reasons by
# default (docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html).
DEFAULT_SUPPRESSED_REASONS = ["BOUNCE", "COMPLAINT"]

# AWS does not publish this ConflictException's text. The model says it answers "if there
# is already an ongoing account details update under review", and the SES guide
# (request-production-access.html) that details can't be edited until the review is
# complete; this message, our choice, says just that.
REVIEW_CONFLICT_MESSAGE = (
    "Your account details are under review (case {case_id}). You can't update them "
    "until the review is complete."
)

Decision = Literal["GRANTED", "DENIED"]
T = TypeVar("T")


def _now(ctx: RequestContext) -> float:
    return ctx.clock.now().timestamp()


def _send_quota(tx: Transaction, ctx: RequestContext, data: dict[str, Any]) -> dict[str, float]:
    limits = quota.limits_of(data, ctx.settings)
    sent = quota.sent_last_24_hours(tx, ctx.account_id, ctx.region, _now(ctx))
    return {
        "Max24HourSend": float(limits.max_24_hour_send),
        "MaxSendRate": float(limits.max_send_rate),
        "SentLast24Hours": float(sent),
    }


# SES v1


def _reading_account(ctx: RequestContext, read: Callable[[Transaction, dict[str, Any]], T]) -> T:
    """``read(tx, account_state)`` in a read-only transaction; only the first look at an
    account and region writes, creating its row (``quota.load_account``)."""
    with ctx.db.transaction(readonly=True) as tx:
        data = quota.find_account(tx, ctx.account_id, ctx.region)
        if data is not None:
            return read(tx, data)
    with ctx.db.transaction() as tx:
        return read(tx, quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region))


@local_only
def get_send_quota(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _reading_account(ctx, lambda tx, data: _send_quota(tx, ctx, data))


@local_only
def get_send_statistics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        points = send_statistics(tx, ctx.account_id, ctx.region, _now(ctx))
    return {"SendDataPoints": points}


def get_account_sending_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data = _reading_account(ctx, lambda tx, data: data)
    return {"Enabled": quota.limits_of(data, ctx.settings).sending_enabled}


def update_account_sending_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # `Enabled` is optional in the model and AWS does not say what its absence means; we
    # take it as false (sending paused), as AWS's Java services read an unset Boolean.
    _set_sending_enabled(ctx, bool(params.get("Enabled", False)))
    return {}


# SES v2


@local_only
def get_account(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data, send_quota = _reading_account(ctx, lambda tx, data: (data, _send_quota(tx, ctx, data)))
    result: dict[str, Any] = {
        **account_attributes.for_get_account(data, _now(ctx)),
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": bool(data.get("ProductionAccessEnabled")),
        "SendQuota": send_quota,
        "SendingEnabled": bool(data.get("SendingEnabled", True)),
        "SuppressionAttributes": {
            "SuppressedReasons": data.get("SuppressedReasons", DEFAULT_SUPPRESSED_REASONS)
        },
    }
    # Stored by PutAccountSuppressionAttributes (ses/suppression/settings.py).
    if data.get("SuppressionValidationAttributes"):
        validation = data["SuppressionValidationAttributes"]
        result["SuppressionAttributes"]["ValidationAttributes"] = validation
    # Details appear once PutAccountDetails stored some (the review travels inside them).
    details = data.get("Details")
    if details:
        result["Details"] = details
    return result


def put_account_details(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = _now(ctx)
    # Every change to the account's state is a read-modify-write of its one row, so it
    # takes the account's lock: two replicas can't both open a review, say.
    with ctx.db.transaction(lock=quota.lock_name(ctx.account_id, ctx.region)) as tx:
        data = quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region)
        review = review_of(data)
        if review is not None and review.get("Status") == "PENDING":
            raise AwsError(
                "ConflictException", REVIEW_CONFLICT_MESSAGE.format(case_id=review["CaseId"])
            )
        details = {name: params[name] for name in DETAIL_MEMBERS if name in params}
        if review is not None:
            details["ReviewDetails"] = review
        data["Details"] = details
        # A request for production access opens a review (unless it is granted already);
        # ProductionAccessEnabled false or absent only updates the details: the API has no
        # way back into the sandbox.
        if params.get("ProductionAccessEnabled") and not data.get("ProductionAccessEnabled"):
            details["ReviewDetails"] = {"Status": "PENDING", "CaseId": new_case_id()}
            data["ReviewRequestedAt"] = now
            if ctx.settings.production_access_review == "auto":
                decide(data, "GRANTED", now)
        quota.save_account(tx, ctx.account_id, ctx.region, data)
    return {}


def put_account_sending_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # As for v1 UpdateAccountSendingEnabled, an absent SendingEnabled pauses sending.
    _set_sending_enabled(ctx, bool(params.get("SendingEnabled", False)))
    return {}


def _set_sending_enabled(ctx: RequestContext, enabled: bool) -> None:
    with ctx.db.transaction(lock=quota.lock_name(ctx.account_id, ctx.region)) as tx:
        data = quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region)
        data["SendingEnabled"] = enabled
        quota.save_account(tx, ctx.account_id, ctx.region, data)


# The production-access review


def new_case_id() -> str:
    # AWS Support case ids are digits (e.g. 17123456789); eleven digits look the part.
    return str(10**10 + secrets.randbelow(9 * 10**10))


def review_of(data: dict[str, Any]) -> dict[str, Any] | None:
    review = (data.get("Details") or {}).get("ReviewDetails")
    return review if isinstance(review, dict) else None


def decide(data: dict[str, Any], decision: Decision, now: float) -> None:
    """Close the pending review in ``data``: granted lifts the sandbox; denied leaves it,
    and the owner may file a new request."""
    review = review_of(data)
    assert review is not None
    review["Status"] = decision
    data["ReviewDecidedAt"] = now
    if decision == "GRANTED":
        data["ProductionAccessEnabled"] = True


def decide_review(
    tx: Transaction, settings: Settings, account: str, region: str, decision: Decision, now: float
) -> dict[str, Any] | None:
    """AWS Support's part: decide the pending review; None when none is pending.
    Run it under ``quota.lock_name(account, region)``, as every change of the account."""
    data = quota.load_account(tx, settings, account, region)
    review = review_of(data)
    if review is None or review.get("Status") != "PENDING":
        return None
    decide(data, decision, now)
    quota.save_account(tx, account, region, data)
    return review


def set_production_access(
    tx: Transaction, settings: Settings, account: str, region: str, production: bool
) -> None:
    """Put the account in or out of the sandbox directly (tests, the console)."""
    data = quota.load_account(tx, settings, account, region)
    data["ProductionAccessEnabled"] = production
    quota.save_account(tx, account, region, data)


# Statistics


def send_statistics(tx: Transaction, account: str, region: str, now: float) -> list[dict[str, Any]]:
    """GetSendStatistics' data points: the last two weeks in 15-minute periods, one point
    per period with any activity, oldest first.

    Delivery attempts count recipients of delivered or bounced messages; a rejected
    message counts one reject; bounces and complaints count their events, except those
    of recipients on the account's suppression list: SES "accepts the message, but
    doesn't send it", which counts as a send but not toward the bounce or complaint rate
    (docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html). Everything
    is filed under the period its message was sent in.
    """
    since = now - STATISTICS_WINDOW_SECONDS
    scope = "m.account = ? AND m.region = ? AND m.created_at > ? AND m.created_at <= ?"
    args = (account, region, since, now)
    messages = tx.fetchall(
        f"SELECT m.created_at, m.status, m.recipients, m.data FROM messages m WHERE {scope}",
        args,
    )
    events = tx.fetchall(
        f"SELECT m.created_at, e.type, m.data, e.data FROM message_events e "
        f"JOIN messages m ON m.id = e.message_id "
        f"WHERE {scope} AND e.type IN ('Bounce', 'Complaint')",
        args,
    )
    buckets: dict[int, dict[str, int]] = {}

    def bucket(created_at: float) -> dict[str, int]:
        start = int(created_at // BUCKET_SECONDS) * BUCKET_SECONDS
        return buckets.setdefault(
            start, {"DeliveryAttempts": 0, "Bounces": 0, "Complaints": 0, "Rejects": 0}
        )

    for created_at, status, recipients, data in messages:
        if not _counts(data):
            continue
        if status == "rejected":
            bucket(created_at)["Rejects"] += 1
        elif status in ("delivered", "bounced"):
            bucket(created_at)["DeliveryAttempts"] += len(json.loads(recipients))
    for created_at, kind, data, detail in events:
        if _counts(data) and not _on_account_list(detail):
            bucket(created_at)["Bounces" if kind == "Bounce" else "Complaints"] += 1
    # AWS quirk: AWS lists its points in no particular order, and its periods need not
    # start on the quarter hour (the model's example has 22:43 and 23:13); quarter hours
    # from the epoch, oldest first, are the same statistics in a steadier shape.
    return [
        {"Timestamp": dt.datetime.fromtimestamp(start, dt.UTC), **counts}
        for start, counts in sorted(buckets.items())
    ]


# Mail in the account's mailbox that the account did not send: SES's own verification
# messages, the simulator's out-of-office replies and forwarded feedback.
NOT_SENT_BY_THE_ACCOUNT = ("ses-verification", "ses-simulator-auto-reply", "ses-feedback")


def _on_account_list(detail: str) -> bool:
    """Whether a bounce or complaint is SES's answer for a recipient on the account's
    suppression list (ses/suppression/withholding.py), rather than a receiver's."""
    if SUPPRESSED_SUBTYPE not in detail:
        return False
    found = json.loads(detail)
    return SUPPRESSED_SUBTYPE in (found.get("bounceSubType"), found.get("complaintSubType"))


def _counts(data: str) -> bool:
    details = json.loads(data)
    if details.get("kind") in NOT_SENT_BY_THE_ACCOUNT:
        return False
    # Cognito's default sender mails through Cognito's own SES account, not the pool
    # owner's; the Cognito sender marks such messages so.
    return bool(details.get("email_sending_account") != "COGNITO_DEFAULT")


V1: dict[str, Handler] = {
    "GetSendQuota": get_send_quota,
    "GetSendStatistics": get_send_statistics,
    "GetAccountSendingEnabled": get_account_sending_enabled,
    "UpdateAccountSendingEnabled": update_account_sending_enabled,
}
V2: dict[str, Handler] = {
    "GetAccount": get_account,
    "PutAccountDetails": put_account_details,
    "PutAccountSendingAttributes": put_account_sending_attributes,
}
