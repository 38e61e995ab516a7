"""Delivering the outbox (aws_services/outbox.py): CloudWatch Logs
(`PutLogEvents`, a batch per log stream, creating the stream when missing), S3
(`PutObject`), Firehose (`PutRecord`), SNS (`Publish`), EventBridge (`PutEvents`),
CloudWatch (`PutMetricData`) and Pinpoint (`PutEvents`), at the endpoint
`--aws-endpoint-url` (or the service's own option) names, through aws_services/clients.py
(botocore's serialisers and signing without boto3, imported at the first delivery, never
at start-up: tests/test_cli.py). Credentials are found where boto3 finds them.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from poolmail.aws_services import outbox
from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.store import Database

if TYPE_CHECKING:
    from poolmail.aws_services.clients import Client

log = logging.getLogger("poolmail.aws_services")

# An attempt (one, without retries) is quick to fail against an endpoint that is down, so
# a retry round does not keep the job's thread.
_CONNECT_TIMEOUT = 2.0
_READ_TIMEOUT = 10.0
# "The log events in the batch must be in chronological order" and "can't span more than
# 24 hours" (API_PutLogEvents.html); records come oldest first, cut an hour short of that.
_LOG_BATCH_SPAN = 23 * 3600.0

# What a sender answers: the records the target refused for good, with why. Any other
# record of the batch was delivered; an exception fails the whole batch, to be retried.
Refusals = dict[str, str]


def deliver_due(db: Database, clock: Clock, settings: Settings) -> int:
    """Attempt every due record once; the number delivered."""
    with db.transaction(readonly=True) as tx:
        records = outbox.due(tx, clock.now().timestamp())
    clients: dict[tuple[str, str], Client] = {}
    outcomes: list[tuple[outbox.Record, str | None, bool]] = []
    for batch in _batches(records):
        target = batch[0].target
        try:
            refused = _SENDERS[target.service](_client(clients, settings, target), batch)
        except Exception as failure:  # any failure of the target is the attempt's outcome
            reason = f"{type(failure).__name__}: {failure}"
            log.info("delivery of %d record(s) to %s failed: %s", len(batch), target.arn, reason)
            outcomes.extend((record, reason, False) for record in batch)
            continue
        outcomes.extend((r, refused.get(r.id), r.id in refused) for r in batch)
    now = clock.now().timestamp()
    answered = {record.target.service for record, error, _ in outcomes if error is None}
    with db.transaction() as tx:
        for record, error, final in outcomes:
            outbox.note_attempt(tx, record, now, error, final)
        outbox.hurry(tx, answered, now)
    return sum(outcome[1] is None for outcome in outcomes)


def _batches(records: list[outbox.Record]) -> Iterator[list[outbox.Record]]:
    """Log events of one stream together (one PutLogEvents), anything else alone."""
    streams: dict[tuple[str, str, str], list[outbox.Record]] = {}
    for record in records:
        target = record.target
        if target.service != "logs":
            yield [record]
            continue
        key = (target.region, target.extra["log_group"], target.extra["log_stream"])
        batch = streams.setdefault(key, [])
        if batch and record.created_at - batch[0].created_at > _LOG_BATCH_SPAN:
            yield batch
            batch = streams[key] = []
        batch.append(record)
    yield from streams.values()


def _client(
    clients: dict[tuple[str, str], Client], settings: Settings, target: outbox.Target
) -> Client:
    key = (target.service, target.region)
    if key not in clients:
        from poolmail.aws_services.clients import Client

        # S3 is addressed path-style (the serialiser's `/{Bucket}/{Key+}`): a local engine's
        # host (127.0.0.1, localhost) has no bucket subdomains to resolve.
        clients[key] = Client(
            target.service,
            outbox.endpoint_for(settings, target.service) or "",
            target.region,
            connect_timeout=_CONNECT_TIMEOUT,
            read_timeout=_READ_TIMEOUT,
        )
    return clients[key]


def _to_logs(client: Client, batch: list[outbox.Record]) -> Refusals:
    from botocore.exceptions import ClientError

    from poolmail.aws_services.clients import error_code

    where = {
        "logGroupName": batch[0].target.extra["log_group"],
        "logStreamName": batch[0].target.extra["log_stream"],
    }
    events = [{"timestamp": int(r.created_at * 1000), "message": r.payload} for r in batch]
    try:
        answer = client.call("PutLogEvents", {**where, "logEvents": events})
    except ClientError as missing:
        if error_code(missing) != "ResourceNotFoundException":
            raise
        # The stream is made on first use; a missing group fails the attempt, as AWS's
        # vended delivery needs the group to exist (exporting-quotas-and-usage.html),
        # unless the group is AWS's own (an import job's log, cognito/imports/job_logs.py).
        if batch[0].target.extra.get("create_group"):
            try:
                client.call("CreateLogGroup", {"logGroupName": where["logGroupName"]})
            except ClientError as made:
                if error_code(made) != "ResourceAlreadyExistsException":
                    raise
        client.call("CreateLogStream", where)
        answer = client.call("PutLogEvents", {**where, "logEvents": events})
    # CloudWatch Logs answers success and leaves out events older than 14 days, past the
    # group's retention or more than 2 hours ahead, naming them by index in
    # `rejectedLogEventsInfo` (API_PutLogEvents.html): those are refused for good.
    info = answer.get("rejectedLogEventsInfo") or {}
    too_new = info.get("tooNewLogEventStartIndex", len(batch))
    too_old = max(info.get("tooOldLogEventEndIndex", -1), info.get("expiredLogEventEndIndex", -1))
    why = f"rejectedLogEventsInfo: {info}"
    return {r.id: why for index, r in enumerate(batch) if index >= too_new or index <= too_old}


def _to_s3(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        bucket = record.target.arn.rsplit(":", 1)[-1]
        # A received message is stored byte for byte (ses/receiving/actions.py); other
        # records are lines of text.
        if record.target.extra.get("encoding") == "base64":
            body = base64.b64decode(record.payload)
        else:
            body = record.payload.encode() + b"\n"
        client.call(
            "PutObject", {"Bucket": bucket, "Key": record.target.extra["key"], "Body": body}
        )
    return {}


def _to_firehose(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        stream = record.target.arn.rsplit("/", 1)[-1]
        data = record.payload.encode() + b"\n"
        client.call("PutRecord", {"DeliveryStreamName": stream, "Record": {"Data": data}})
    return {}


def _to_sns(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        subject = record.target.extra.get("subject")
        extra = {"Subject": subject} if subject else {}
        client.call("Publish", {"TopicArn": record.target.arn, "Message": record.payload, **extra})
    return {}


def _to_events(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        extra = record.target.extra
        entry: dict[str, Any] = {
            "Source": extra["source"],
            "DetailType": extra["detail_type"],
            "Detail": record.payload,
            "EventBusName": record.target.arn,
            "Time": datetime.datetime.fromtimestamp(record.created_at, datetime.UTC),
        }
        if extra.get("resource"):
            entry["Resources"] = [extra["resource"]]
        answer = client.call("PutEvents", {"Entries": [entry]})
        if answer.get("FailedEntryCount"):
            # A throttled or refused entry: the attempt failed, to be retried.
            failed = answer["Entries"][0]
            raise RuntimeError(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
    return {}


def _to_cloudwatch(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        data = json.loads(record.payload)
        for datum in data:
            datum["Timestamp"] = datetime.datetime.fromtimestamp(datum["Timestamp"], datetime.UTC)
        namespace = record.target.extra["namespace"]
        client.call("PutMetricData", {"Namespace": namespace, "MetricData": data})
    return {}


def _to_pinpoint(client: Client, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        application = record.target.arn.rsplit("/", 1)[-1]
        request = json.loads(record.payload)
        client.call("PutEvents", {"ApplicationId": application, "EventsRequest": request})
    return {}


_SENDERS: dict[str, Callable[[Client, list[outbox.Record]], Refusals]] = {
    "logs": _to_logs,
    "s3": _to_s3,
    "firehose": _to_firehose,
    "sns": _to_sns,
    "events": _to_events,
    "cloudwatch": _to_cloudwatch,
    "pinpoint": _to_pinpoint,
}
