"""Delivering the outbox (aws_services/outbox.py) through boto3: CloudWatch Logs
(`PutLogEvents`, a batch per log stream, creating the stream when missing), S3
(`PutObject`), Firehose (`PutRecord`), SNS (`Publish`), EventBridge (`PutEvents`),
CloudWatch (`PutMetricData`) and Pinpoint (`PutEvents`), at the endpoint
`--aws-endpoint-url` (or the service's own option) names.

boto3 is imported here, when a delivery runs, never at start-up (tests/test_cli.py).
Credentials come from boto3's standard chain, as for any client of that endpoint.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from poolmail.aws_services import outbox
from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.store import Database

log = logging.getLogger("poolmail.aws_services")

# An attempt is quick to fail against an endpoint that is down, so a retry round does not
# keep the job's thread.
_TIMEOUTS = {"connect_timeout": 2, "read_timeout": 10, "retries": {"total_max_attempts": 1}}
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
    clients: dict[tuple[str, str], Any] = {}
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


def _client(clients: dict[tuple[str, str], Any], settings: Settings, target: outbox.Target) -> Any:
    key = (target.service, target.region)
    if key not in clients:
        import boto3
        from botocore.config import Config

        # Path-style S3 addressing: a local engine's host (127.0.0.1, localhost) has no
        # bucket subdomains to resolve.
        s3 = {"addressing_style": "path"} if target.service == "s3" else None
        clients[key] = boto3.client(
            target.service,
            endpoint_url=outbox.endpoint_for(settings, target.service),
            region_name=target.region,
            config=Config(s3=s3, **_TIMEOUTS),
        )
    return clients[key]


def _to_logs(client: Any, batch: list[outbox.Record]) -> Refusals:
    where = {
        "logGroupName": batch[0].target.extra["log_group"],
        "logStreamName": batch[0].target.extra["log_stream"],
    }
    events = [{"timestamp": int(r.created_at * 1000), "message": r.payload} for r in batch]
    try:
        answer = client.put_log_events(**where, logEvents=events)
    except client.exceptions.ResourceNotFoundException:
        # The stream is made on first use; a missing group fails the attempt, as AWS's
        # vended delivery needs the group to exist (exporting-quotas-and-usage.html),
        # unless the group is AWS's own (an import job's log, cognito/imports/job_logs.py).
        if batch[0].target.extra.get("create_group"):
            with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
                client.create_log_group(logGroupName=where["logGroupName"])
        client.create_log_stream(**where)
        answer = client.put_log_events(**where, logEvents=events)
    # CloudWatch Logs answers success and leaves out events older than 14 days, past the
    # group's retention or more than 2 hours ahead, naming them by index in
    # `rejectedLogEventsInfo` (API_PutLogEvents.html): those are refused for good.
    info = answer.get("rejectedLogEventsInfo") or {}
    too_new = info.get("tooNewLogEventStartIndex", len(batch))
    too_old = max(info.get("tooOldLogEventEndIndex", -1), info.get("expiredLogEventEndIndex", -1))
    why = f"rejectedLogEventsInfo: {info}"
    return {r.id: why for index, r in enumerate(batch) if index >= too_new or index <= too_old}


def _to_s3(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        bucket = record.target.arn.rsplit(":", 1)[-1]
        # A received message is stored byte for byte (ses/receiving/actions.py); other
        # records are lines of text.
        if record.target.extra.get("encoding") == "base64":
            body = base64.b64decode(record.payload)
        else:
            body = record.payload.encode() + b"\n"
        client.put_object(Bucket=bucket, Key=record.target.extra["key"], Body=body)
    return {}


def _to_firehose(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        stream = record.target.arn.rsplit("/", 1)[-1]
        client.put_record(
            DeliveryStreamName=stream, Record={"Data": record.payload.encode() + b"\n"}
        )
    return {}


def _to_sns(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        subject = record.target.extra.get("subject")
        extra = {"Subject": subject} if subject else {}
        client.publish(TopicArn=record.target.arn, Message=record.payload, **extra)
    return {}


def _to_events(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        extra = record.target.extra
        entry = {
            "Source": extra["source"],
            "DetailType": extra["detail_type"],
            "Detail": record.payload,
            "EventBusName": record.target.arn,
            "Time": datetime.datetime.fromtimestamp(record.created_at, datetime.UTC),
        }
        if extra.get("resource"):
            entry["Resources"] = [extra["resource"]]
        answer = client.put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            # A throttled or refused entry: the attempt failed, to be retried.
            failed = answer["Entries"][0]
            raise RuntimeError(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
    return {}


def _to_cloudwatch(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        data = json.loads(record.payload)
        for datum in data:
            datum["Timestamp"] = datetime.datetime.fromtimestamp(datum["Timestamp"], datetime.UTC)
        client.put_metric_data(Namespace=record.target.extra["namespace"], MetricData=data)
    return {}


def _to_pinpoint(client: Any, batch: list[outbox.Record]) -> Refusals:
    for record in batch:
        application = record.target.arn.rsplit("/", 1)[-1]
        client.put_events(ApplicationId=application, EventsRequest=json.loads(record.payload))
    return {}


_SENDERS: dict[str, Callable[[Any, list[outbox.Record]], Refusals]] = {
    "logs": _to_logs,
    "s3": _to_s3,
    "firehose": _to_firehose,
    "sns": _to_sns,
    "events": _to_events,
    "cloudwatch": _to_cloudwatch,
    "pinpoint": _to_pinpoint,
}
