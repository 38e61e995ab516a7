"""A user pool's log export (Set/GetLogDeliveryConfiguration) and its two logs:
`userNotification`, an ERROR record each time the pool fails to deliver an email or SMS
message, and `userAuthEvents`, an INFO record of each threat-protection auth event
(exporting-quotas-and-usage.html). Records go to the outbox of other AWS services
(aws_services/outbox.py), which keeps them readable locally and delivers them.

The configuration is kept in the pool's ``data`` under ``log_delivery``, so the failure
hooks (`notification_failed`, `auth_event`) read nothing from the database and write
nothing for a pool that exports no logs.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from poolmail.aws_services import outbox
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, save_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

KEY = "log_delivery"
NOTIFICATION = "userNotification"
AUTH_EVENTS = "userAuthEvents"
# "Message-delivery logs are of the userNotification type and of the ERROR errorlevel.
# Advanced security user activity logs are of the userAuthEvents type and of the INFO
# errorlevel" (exporting-quotas-and-usage.html, "Log level is exclusive to log type").
LEVELS = {NOTIFICATION: "ERROR", AUTH_EVENTS: "INFO"}
# The records' eventSource, as AWS's example records show them (same page).
RECORD_SOURCES = {NOTIFICATION: "USER_NOTIFICATION", AUTH_EVENTS: "USER_ACTIVITY"}
_DESTINATIONS = {
    "CloudWatchLogsConfiguration": "LogGroupArn",
    "S3Configuration": "BucketArn",
    "FirehoseConfiguration": "StreamArn",
}

# AWS's texts, measured against the live API (floci-io/floci#2867); note "more then once".
NO_DESTINATION = "Following event sources in request have no destination: [{}]."
REPEATED = "Following event sources appear more then once in a request: [{}]."
VALIDATION_FAILED = "Request validation Failed. "
# Not found: AWS's texts for the rules below, from the documentation; Choice: a sentence
# naming the rule, as InvalidParameterException.
WRONG_LEVEL = "Log level {level} is not supported for event source {source}; use {expected}."
ONLY_CLOUDWATCH = "Event source userNotification can only be delivered to CloudWatch Logs."
ONE_DESTINATION = "Event source {source} can have only one destination."
OTHER_ACCOUNT = "The destination {arn} must be in the same AWS account as the user pool."
BAD_ARN = "Invalid {member}: {arn}"

# arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME, with or without the `:*` that
# DescribeLogGroups' `arn` carries.
_LOG_GROUP = re.compile(
    r"arn:[\w-]+:logs:(?P<region>[\w-]+):(?P<account>\d{12}):log-group:(?P<name>[^:]+)(:\*)?"
)
_STREAM = re.compile(
    r"arn:[\w-]+:firehose:(?P<region>[\w-]+):(?P<account>\d{12}):deliverystream/(?P<name>.+)"
)
_BUCKET = re.compile(r"arn:[\w-]+:s3:::(?P<name>[^:/]+)")


def configurations(settings: dict[str, Any]) -> list[dict[str, Any]]:
    return list(settings.get(KEY) or [])


def get_log_delivery_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
    return _answer(pool)


def set_log_delivery_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Replace the pool's log configurations (the list is the whole configuration; an
    empty one turns export off)."""
    wanted = [dict(entry) for entry in params["LogConfigurations"] if entry]
    _check_sources(wanted)
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        for entry in wanted:
            _check_entry(ctx, pool, entry)
        pool.settings[KEY] = wanted
        pool.modified = ctx.clock.now().timestamp()
        save_pool(tx, pool)
    return _answer(pool)


def _answer(pool: StoredPool) -> dict[str, Any]:
    return {
        "LogDeliveryConfiguration": {
            "UserPoolId": pool.id,
            "LogConfigurations": configurations(pool.settings),
        }
    }


def _check_sources(wanted: list[dict[str, Any]]) -> None:
    # Both clauses in one message when both apply, as AWS answers (floci-io/floci#2867).
    bare = [e["EventSource"] for e in wanted if not any(e.get(d) for d in _DESTINATIONS)]
    sources = [e["EventSource"] for e in wanted]
    repeated = sorted({s for s in sources if sources.count(s) > 1})
    clauses = []
    if bare:
        clauses.append(NO_DESTINATION.format(", ".join(dict.fromkeys(bare))))
    if repeated:
        clauses.append(REPEATED.format(", ".join(repeated)))
    if clauses:
        raise AwsError("InvalidParameterException", VALIDATION_FAILED + " ".join(clauses))


def _check_entry(ctx: RequestContext, pool: StoredPool, entry: dict[str, Any]) -> None:
    source = entry["EventSource"]
    destinations = [d for d in _DESTINATIONS if entry.get(d)]
    if source == AUTH_EVENTS:
        # "To send info-level logs about threat-protection user activity in user pools with
        # the Plus feature plan, set to userAuthEvents" [model LogConfigurationType].
        tiers.require(pool.settings, tiers.PLUS, tiers.THREAT_PROTECTION)
    if entry["LogLevel"] != LEVELS[source]:
        raise AwsError(
            "InvalidParameterException",
            WRONG_LEVEL.format(level=entry["LogLevel"], source=source, expected=LEVELS[source]),
        )
    # "You can't send user-activity logs to multiple destinations. You can't send
    # user-notification logs to any destination other than CloudWatch Logs."
    if len(destinations) > 1:
        raise AwsError("InvalidParameterException", ONE_DESTINATION.format(source=source))
    if source == NOTIFICATION and destinations != ["CloudWatchLogsConfiguration"]:
        raise AwsError("InvalidParameterException", ONLY_CLOUDWATCH)
    member = _DESTINATIONS[destinations[0]]
    arn = str(entry[destinations[0]][member])
    pattern = {"LogGroupArn": _LOG_GROUP, "StreamArn": _STREAM, "BucketArn": _BUCKET}[member]
    match = pattern.fullmatch(arn)
    if match is None:
        raise AwsError("InvalidParameterException", BAD_ARN.format(member=member, arn=arn))
    # "must be in the same Amazon Web Services account as your user pool" [model
    # CloudWatchLogsConfigurationType]; Choice: the same for a Firehose stream.
    if "account" in match.groupdict() and match["account"] != ctx.account_id:
        raise AwsError("InvalidParameterException", OTHER_ACCOUNT.format(arn=arn))


def _target(ctx: RequestContext, pool_id: str, entry: dict[str, Any], now: float) -> outbox.Target:
    source = entry["EventSource"]
    if entry.get("CloudWatchLogsConfiguration"):
        arn = entry["CloudWatchLogsConfiguration"]["LogGroupArn"]
        match = _LOG_GROUP.fullmatch(arn)
        assert match is not None  # checked when configured
        # Not found: the stream names of AWS's vended delivery; Choice: one stream per
        # pool and event source, made on first use.
        stream = f"{pool_id}-{source}"
        extra = {"log_group": match["name"], "log_stream": stream}
        return outbox.Target("logs", arn, match["region"], extra)
    if entry.get("FirehoseConfiguration"):
        arn = entry["FirehoseConfiguration"]["StreamArn"]
        match = _STREAM.fullmatch(arn)
        assert match is not None
        return outbox.Target("firehose", arn, match["region"], {})
    arn = entry["S3Configuration"]["BucketArn"]
    # Not found: AWS's object keys (it "might create an AWSLogs folder in your bucket");
    # Choice: AWSLogs/ACCOUNT/cognito-idp/REGION/POOL/SOURCE/MILLISECONDS-RANDOM.json.
    folder = f"AWSLogs/{ctx.account_id}/cognito-idp/{ctx.region}/{pool_id}/{source}"
    key = f"{folder}/{int(now * 1000)}-{uuid.uuid4().hex[:12]}.json"
    return outbox.Target("s3", arn, ctx.region, {"key": key})


def _store(
    tx: Transaction, ctx: RequestContext, pool_id: str, entry: dict[str, Any], message: Any
) -> None:
    now = ctx.clock.now().timestamp()
    source = entry["EventSource"]
    record = {
        "eventTimestamp": str(int(now * 1000)),
        "eventSource": RECORD_SOURCES[source],
        "logLevel": LEVELS[source],
        "message": message,
        "logSourceId": {"userPoolId": pool_id},
    }
    target = _target(ctx, pool_id, entry, now)
    outbox.add(
        tx,
        ctx.settings,
        account=ctx.account_id,
        source=f"cognito-idp:{source}",
        owner=pool_id,
        target=target,
        payload=json.dumps(record),
        now=now,
    )


def _entry(settings: dict[str, Any], source: str) -> dict[str, Any] | None:
    for entry in settings.get(KEY) or ():
        if entry.get("EventSource") == source:
            return dict(entry)
    return None


def notification_failed(
    ctx: RequestContext, settings: dict[str, Any], pool_id: str, details: str
) -> None:
    """The pool could not deliver an email or SMS message: its `userNotification` record
    (`message.details`: the error, as AWS's example record has it). Call it outside any
    transaction; it does nothing when the pool exports no such log."""
    entry = _entry(settings, NOTIFICATION)
    if entry is None:
        return
    with ctx.db.transaction() as tx:
        _store(tx, ctx, pool_id, entry, {"details": details})


def auth_event(
    tx: Transaction, ctx: RequestContext, pool: StoredPool, event: dict[str, Any]
) -> None:
    """A threat-protection auth event just stored (risk_events.new_event): its
    `userAuthEvents` record, in ``tx``; nothing when the pool exports no such log."""
    entry = _entry(pool.settings, AUTH_EVENTS)
    if entry is None:
        return
    _store(tx, ctx, pool.id, entry, _activity(ctx, pool.id, event))


def _activity(ctx: RequestContext, pool_id: str, event: dict[str, Any]) -> dict[str, Any]:
    # The members of AWS's example USER_ACTIVITY record (exporting-quotas-and-usage.html),
    # every value a string as there; what poolmail does not know is "".
    risk = event.get("EventRisk") or {}
    context = event.get("EventContextData") or {}
    when = ctx.clock.now()
    return {
        "version": "1",
        "eventId": event["EventId"],
        "eventType": event.get("EventType", ""),
        "userSub": event.get("UserSub", ""),
        "userName": event.get("Username", ""),
        "userPoolId": pool_id,
        "clientId": event.get("ClientId", ""),
        "creationDate": when.strftime("%a %b %d %H:%M:%S UTC %Y"),
        "eventResponse": event.get("EventResponse", ""),
        "riskLevel": risk.get("RiskLevel", ""),
        "riskDecision": str(risk.get("RiskDecision", "")).upper(),
        "challenges": event.get("ChallengeResponses", []),
        "deviceName": context.get("DeviceName", ""),
        "ipAddress": context.get("IpAddress", ""),
        "requestId": ctx.request_id,
        "idpName": "",
        "compromisedCredentialDetected": str(
            bool(risk.get("CompromisedCredentialsDetected"))
        ).lower(),
        "city": context.get("City", ""),
        "country": context.get("Country", ""),
        "eventFeedbackValue": "",
        "eventFeedbackDate": "",
        "eventFeedbackProvider": "",
        "hasContextData": "true" if context else "false",
    }


OPERATIONS: dict[str, Handler] = {
    "SetLogDeliveryConfiguration": set_log_delivery_configuration,
    "GetLogDeliveryConfiguration": get_log_delivery_configuration,
}
