"""Log export (Set/GetLogDeliveryConfiguration): AWS's validation, the `userNotification`
record of a mail the SES sandbox refused, kept locally and delivered to a CloudWatch Logs
group of moto's server, retried while that endpoint is down and kept across a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    confirmed_user,
    email_pool,
    error_of,
    idp,
    make_pool,
    password_auth,
    sign_up,
)
from tests.cognito.threats.test_threat_protection import plus_pool
from tests.ses.helpers import advance, verify
from tests.support.moto import CREDENTIALS, Moto, free_port, unique, wait_for
from tests.support.server import ServerProcess

SENDER = "sender@example.com"
SOURCE_ARN = f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}"
GROUP = "cognito-notifications"
GROUP_ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
REFUSAL = (
    "Email address is not verified. The following identities failed the check in region "
    "US-EAST-1: user@example.com"
)


def group_arn(group: str) -> str:
    return f"arn:aws:logs:us-east-1:123456789012:log-group:{group}"


def notification_logs(group_arn: str = GROUP_ARN) -> list[dict[str, Any]]:
    return [
        {
            "LogLevel": "ERROR",
            "EventSource": "userNotification",
            "CloudWatchLogsConfiguration": {"LogGroupArn": group_arn},
        }
    ]


def refused(server: ServerProcess, count: int = 1, group: str = GROUP) -> str:
    """A DEVELOPER pool exporting its notification log to ``group``, and ``count`` sign-up
    mails the SES sandbox refuses (the recipient is not verified); the pool id."""
    verify(server, SENDER)
    config = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN}
    pool_id, client_id = email_pool(server, EmailConfiguration=config)
    idp(server).set_log_delivery_configuration(
        UserPoolId=pool_id, LogConfigurations=notification_logs(group_arn(group))
    )
    for number in range(count):
        with pytest.raises(ClientError) as excinfo:
            sign_up(server, client_id, f"sandboxed{number}", "user@example.com")
        assert error_of(excinfo)[0] == "CodeDeliveryFailureException"
    return pool_id


def local_log(server: ServerProcess, pool_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/cognito/logs", params={"pool_id": pool_id})
    answer.raise_for_status()
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


# ---- the configuration ----------------------------------------------------------------------


def test_configuration_is_stored_whole_and_echoed(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    empty = cognito.get_log_delivery_configuration(UserPoolId=pool_id)
    assert empty["LogDeliveryConfiguration"] == {"UserPoolId": pool_id, "LogConfigurations": []}
    answer = cognito.set_log_delivery_configuration(
        UserPoolId=pool_id, LogConfigurations=notification_logs()
    )
    expected = {"UserPoolId": pool_id, "LogConfigurations": notification_logs()}
    assert answer["LogDeliveryConfiguration"] == expected
    got = cognito.get_log_delivery_configuration(UserPoolId=pool_id)
    assert got["LogDeliveryConfiguration"] == expected
    # Not a member of UpdateUserPool: an update leaves it as it is.
    cognito.update_user_pool(UserPoolId=pool_id)
    kept = cognito.get_log_delivery_configuration(UserPoolId=pool_id)
    assert kept["LogDeliveryConfiguration"] == expected
    cleared = cognito.set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=[])
    assert cleared["LogDeliveryConfiguration"]["LogConfigurations"] == []
    with pytest.raises(ClientError) as excinfo:
        cognito.get_log_delivery_configuration(UserPoolId="us-east-1_missing")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def _refusal(server: ServerProcess, pool_id: str, entries: list[dict[str, Any]]) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        idp(server).set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=entries)
    return error_of(excinfo)


def test_configuration_refusals(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    bare = {"LogLevel": "ERROR", "EventSource": "userNotification"}
    # AWS's texts (floci-io/floci#2867, measured against Cognito).
    assert _refusal(live, pool_id, [bare, bare]) == (
        "InvalidParameterException",
        "Request validation Failed. Following event sources in request have no destination: "
        "[userNotification]. Following event sources appear more then once in a request: "
        "[userNotification].",
    )
    twice = notification_logs() * 2
    assert _refusal(live, pool_id, twice)[1].endswith(
        "appear more then once in a request: [userNotification]."
    )
    info = [{**notification_logs()[0], "LogLevel": "INFO"}]
    assert _refusal(live, pool_id, info)[0] == "InvalidParameterException"
    to_s3 = [{**bare, "S3Configuration": {"BucketArn": "arn:aws:s3:::logs-bucket"}}]
    assert _refusal(live, pool_id, to_s3) == (
        "InvalidParameterException",
        "Event source userNotification can only be delivered to CloudWatch Logs.",
    )
    elsewhere = notification_logs("arn:aws:logs:us-east-1:210987654321:log-group:theirs")
    assert _refusal(live, pool_id, elsewhere)[0] == "InvalidParameterException"
    activity = [
        {
            "LogLevel": "INFO",
            "EventSource": "userAuthEvents",
            "FirehoseConfiguration": {
                "StreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/activity"
            },
        }
    ]
    # User activity export needs the Plus plan [model LogConfigurationType].
    assert _refusal(live, pool_id, activity) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the ESSENTIALS pricing tier "
        "configured: Threat Protection",
    )
    plus_id, _ = plus_pool(live)
    both = idp(live).set_log_delivery_configuration(
        UserPoolId=plus_id, LogConfigurations=notification_logs() + activity
    )
    assert len(both["LogDeliveryConfiguration"]["LogConfigurations"]) == 2


# ---- the local log --------------------------------------------------------------------------


def test_a_refused_mail_is_logged_locally_without_an_endpoint(live: ServerProcess) -> None:
    pool_id = refused(live)
    (record,) = local_log(live, pool_id)
    assert record["status"] == "undeliverable"
    assert record["source"] == "cognito-idp:userNotification"
    assert record["target"]["arn"] == GROUP_ARN
    assert record["attempts"] == []
    event = record["payload"]
    # AWS's example record (exporting-quotas-and-usage.html).
    assert set(event) == {"eventTimestamp", "eventSource", "logLevel", "message", "logSourceId"}
    assert event["eventSource"] == "USER_NOTIFICATION"
    assert event["logLevel"] == "ERROR"
    assert event["logSourceId"] == {"userPoolId": pool_id}
    assert event["message"] == {"details": REFUSAL}
    assert event["eventTimestamp"].isdigit()
    # The same record in the listing of everything poolmail hands to other services.
    everything = httpx.get(f"{live.url}/_poolmail/outbox", params={"source": "cognito-idp:"})
    assert everything.json()["records"] == [record]
    assert httpx.get(f"{live.url}/_poolmail/outbox", params={"limit": "0"}).status_code == 400
    assert httpx.get(f"{live.url}/_poolmail/cognito/logs").status_code == 400


def test_a_text_the_pool_cannot_send_is_logged(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["phone_number"])
    idp(live).set_log_delivery_configuration(
        UserPoolId=pool_id, LogConfigurations=notification_logs()
    )
    client_id = idp(live).create_user_pool_client(UserPoolId=pool_id, ClientName="app")[
        "UserPoolClient"
    ]["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        idp(live).sign_up(
            ClientId=client_id,
            Username="texted",
            Password=PASSWORD,
            UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}],
        )
    (record,) = local_log(live, pool_id)
    assert record["payload"]["message"] == {"details": error_of(excinfo)[1]}


def test_nothing_is_logged_for_a_pool_that_exports_no_log(live: ServerProcess) -> None:
    verify(live, SENDER)
    config = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN}
    pool_id, client_id = email_pool(live, EmailConfiguration=config)
    with pytest.raises(ClientError):
        sign_up(live, client_id, "sandboxed", "user@example.com")
    assert local_log(live, pool_id) == []


def test_auth_events_are_exported_in_audit_mode(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    bucket = [
        {
            "LogLevel": "INFO",
            "EventSource": "userAuthEvents",
            "S3Configuration": {"BucketArn": "arn:aws:s3:::activity-logs"},
        }
    ]
    idp(live).set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=bucket)
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    records = local_log(live, pool_id)
    sign_in = next(r for r in records if r["payload"]["message"]["eventType"] == "SignIn")
    assert sign_in["service"] == "s3"
    assert sign_in["payload"]["eventSource"] == "USER_ACTIVITY"
    assert sign_in["payload"]["logLevel"] == "INFO"
    message = sign_in["payload"]["message"]
    assert message["userName"] == "alice"
    assert message["userPoolId"] == pool_id
    assert message["eventResponse"] == "Pass"


# ---- delivery to moto's server --------------------------------------------------------------


def events_in(moto: Moto, group: str) -> list[dict[str, Any]]:
    try:
        found = moto.logs().filter_log_events(logGroupName=group)["events"]
    except ClientError:
        return []
    return [json.loads(event["message"]) for event in found]


def test_a_refused_mail_reaches_cloudwatch_logs(moto: Moto, moto_server: ServerProcess) -> None:
    server = moto_server
    group = unique("cognito-notifications")
    moto.logs().create_log_group(logGroupName=group)
    pool_id = refused(server, group=group)
    (event,) = wait_for(lambda: events_in(moto, group))
    assert event["eventSource"] == "USER_NOTIFICATION"
    assert event["message"] == {"details": REFUSAL}
    assert event["logSourceId"] == {"userPoolId": pool_id}
    streams = moto.logs().describe_log_streams(logGroupName=group)["logStreams"]
    assert [stream["logStreamName"] for stream in streams] == [f"{pool_id}-userNotification"]
    (record,) = wait_for(
        lambda: [r for r in local_log(server, pool_id) if r["status"] == "delivered"]
    )
    assert [attempt["error"] for attempt in record["attempts"]] == [None]


@pytest.mark.parametrize("moto_server", ["sqlite"], indirect=True)
def test_an_event_cloudwatch_refuses_is_not_retried(moto: Moto, moto_server: ServerProcess) -> None:
    server = moto_server
    group = unique("cognito-notifications")
    moto.logs().create_log_group(logGroupName=group)
    # A day ahead of CloudWatch's clock: more than the 2 hours it accepts.
    advance(server, 24 * 3600)
    pool_id = refused(server, group=group)
    (record,) = wait_for(
        lambda: [r for r in local_log(server, pool_id) if r["status"] == "rejected"]
    )
    assert "tooNewLogEventStartIndex" in record["last_error"]
    assert len(record["attempts"]) == 1


@pytest.mark.parametrize("moto_server", ["sqlite"], indirect=True)
def test_auth_events_reach_an_s3_bucket(moto: Moto, moto_server: ServerProcess) -> None:
    server = moto_server
    s3 = moto.client("s3")
    bucket_name = unique("activity-logs")
    s3.create_bucket(Bucket=bucket_name)
    pool_id, client_id = plus_pool(server, "AUDIT")
    bucket = [
        {
            "LogLevel": "INFO",
            "EventSource": "userAuthEvents",
            "S3Configuration": {"BucketArn": f"arn:aws:s3:::{bucket_name}"},
        }
    ]
    idp(server).set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=bucket)
    confirmed_user(server, pool_id, "alice")
    password_auth(server, client_id, "alice")

    def stored() -> list[dict[str, Any]]:
        listed = s3.list_objects_v2(Bucket=bucket_name).get("Contents", [])
        bodies = [s3.get_object(Bucket=bucket_name, Key=o["Key"]) for o in listed]
        return [json.loads(body["Body"].read()) for body in bodies]

    def signed_in() -> list[dict[str, Any]]:
        return [r for r in stored() if r["message"]["eventType"] == "SignIn"]

    (record,) = wait_for(signed_in)
    assert record["eventSource"] == "USER_ACTIVITY"
    assert record["message"]["userName"] == "alice"
    prefix = f"AWSLogs/123456789012/cognito-idp/us-east-1/{pool_id}/userAuthEvents/"
    listed = s3.list_objects_v2(Bucket=bucket_name)["Contents"]
    assert all(o["Key"].startswith(prefix) for o in listed)


@pytest.mark.parametrize("moto_server", ["sqlite"], indirect=True)
def test_auth_events_reach_a_firehose_stream(moto: Moto, moto_server: ServerProcess) -> None:
    server = moto_server
    bucket, name = unique("firehose-out"), unique("activity")
    # moto's Firehose writes what it is put to its S3 destination at once.
    moto.client("s3").create_bucket(Bucket=bucket)
    moto.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}",
        },
    )
    pool_id, client_id = plus_pool(server, "AUDIT")
    stream = [
        {
            "LogLevel": "INFO",
            "EventSource": "userAuthEvents",
            "FirehoseConfiguration": {
                "StreamArn": f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{name}"
            },
        }
    ]
    idp(server).set_log_delivery_configuration(UserPoolId=pool_id, LogConfigurations=stream)
    confirmed_user(server, pool_id, "alice")
    password_auth(server, client_id, "alice")

    def all_delivered() -> bool:
        records = local_log(server, pool_id)
        return bool(records) and all(r["status"] == "delivered" for r in records)

    assert wait_for(all_delivered)
    s3 = moto.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    text = "".join(
        s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode() for o in listed
    )
    lines = [json.loads(line) for line in text.splitlines() if line]
    assert any(line["message"]["eventType"] == "SignIn" for line in lines)


def test_delivery_waits_for_the_endpoint_across_a_restart(tmp_path: Path) -> None:
    down = Moto(free_port())
    server = ServerProcess(
        ["--data-dir", str(tmp_path), "--aws-endpoint-url", down.url], env=CREDENTIALS
    ).start()
    try:
        pool_id = refused(server, count=2)
        tried = wait_for(lambda: all(r["attempts"] for r in local_log(server, pool_id)))
        assert tried
        records = local_log(server, pool_id)
        assert [r["status"] for r in records] == ["pending", "pending"]
        assert all(r["attempts"][0]["error"] for r in records)
        # Stored first: a restart keeps the records, still pending.
        server.restart()
        assert [r["status"] for r in local_log(server, pool_id)] == ["pending", "pending"]
        down.start()
        try:
            down.logs().create_log_group(logGroupName=GROUP)
            events = wait_for(lambda: len(events_in(down, GROUP)) == 2, timeout=70)
            assert events
            first, second = events_in(down, GROUP)
            assert first["message"] == second["message"] == {"details": REFUSAL}
            assert first["eventTimestamp"] <= second["eventTimestamp"]
            for record in local_log(server, pool_id):
                assert record["status"] == "delivered"
                assert record["attempts"][-1]["error"] is None
                assert len(record["attempts"]) >= 2
        finally:
            down.stop()
    finally:
        server.stop()
