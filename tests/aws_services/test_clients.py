"""aws_services/clients.py against boto3 as the oracle: the same requests on the wire, the
same answers and errors, and a server that delivers without importing boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError, ParamValidationError

from poolmail.aws_services import clients
from tests.support.moto import CREDENTIALS, Moto, free_port, unique

# What the outbox sends, one call of each (aws_services/delivery.py).
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}),
    (
        "sns",
        "Publish",
        {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "é", "Subject": "s"},
    ),
    ("sns", "GetTopicAttributes", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}),
    (
        "logs",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 1_700_000_000_000, "message": "{}"}],
        },
    ),
    ("logs", "CreateLogGroup", {"logGroupName": "g"}),
    ("logs", "CreateLogStream", {"logGroupName": "g", "logStreamName": "s"}),
    ("s3", "PutObject", {"Bucket": "b", "Key": "a dir/k+1.json", "Body": b"line\n"}),
    ("firehose", "PutRecord", {"DeliveryStreamName": "d", "Record": {"Data": b"x\n"}}),
    (
        "events",
        "PutEvents",
        {
            "Entries": [
                {
                    "Source": "aws.ses",
                    "DetailType": "Email Sent",
                    "Detail": "{}",
                    "EventBusName": "arn:aws:events:us-east-1:123456789012:event-bus/default",
                    "Resources": ["arn:x"],
                }
            ]
        },
    ),
    (
        "cloudwatch",
        "PutMetricData",
        {"Namespace": "n", "MetricData": [{"MetricName": "Send", "Value": 1.0}]},
    ),
    (
        "pinpoint",
        "PutEvents",
        {"ApplicationId": "app", "EventsRequest": {"BatchItem": {}}},
    ),
]
ENDPOINT = "http://127.0.0.1:9"
# Headers that differ by the moment, the SDK or boto3's optional checksums.
_VARYING = (
    "authorization",
    "x-amz-date",
    "user-agent",
    "amz-sdk-",
    "x-amz-checksum-",
    "x-amz-sdk-checksum-algorithm",
    "content-md5",
    "expect",
)


def _wire(request: AWSPreparedRequest) -> tuple[str, str, bytes, dict[str, str]]:
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    elif body is not None and not isinstance(body, bytes):
        body = body.read()
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else str(value)
        for name, value in request.headers.items()
        if not name.lower().startswith(_VARYING)
    }
    return request.method, request.url, body or b"", headers


def _boto3_request(service: str, operation: str, params: dict[str, Any]) -> tuple[Any, ...]:
    captured: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        raise _Captured

    from botocore.config import Config

    client = boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(
            s3={"addressing_style": "path"}, request_checksum_calculation="when_required"
        ),
    )
    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured):
        client._make_api_call(operation, dict(params))
    return _wire(captured[0])


class _Captured(Exception):
    pass


@pytest.mark.parametrize(("service", "operation", "params"), CALLS)
def test_requests_are_what_boto3_sends(
    service: str, operation: str, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[AWSPreparedRequest] = []

    def send(self: clients.Client, request: AWSPreparedRequest) -> Any:
        sent.append(request)
        raise _Captured

    monkeypatch.setattr(clients.Client, "_send", send)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(_Captured):
        clients.Client(service, ENDPOINT, "us-east-1").call(operation, dict(params))
    assert _wire(sent[0]) == _boto3_request(service, operation, params)
    assert sent[0].headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")


def test_answers_and_errors_are_boto3s(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    topic = moto.client("sns").create_topic(Name=unique("clients"))["TopicArn"]
    sns = clients.client("sns", endpoint_url=moto.url, region_name="us-east-1")
    answer = sns.publish(TopicArn=topic, Message="hello")
    assert answer["MessageId"] and answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
    missing = topic + "-missing"
    with pytest.raises(ClientError) as ours:
        sns.publish(TopicArn=missing, Message="hello")
    with pytest.raises(ClientError) as theirs:
        moto.client("sns").publish(TopicArn=missing, Message="hello")
    # The class name starts a failed delivery's recorded error.
    assert f"{type(ours.value).__name__}: {ours.value}" == (
        f"{type(theirs.value).__name__}: {theirs.value}"
    )
    with pytest.raises(ParamValidationError):
        sns.publish(TopicArn=topic)


def test_an_endpoint_that_is_down_fails_as_botocores_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Exception) as ours:
        clients.Client("sns", url, "us-east-1").call("Publish", {"TopicArn": "t", "Message": "m"})
    assert type(ours.value).__name__ == "EndpointConnectionError"
    assert str(ours.value) == f'Could not connect to the endpoint URL: "{url}/"'


def test_the_server_delivers_without_boto3(moto: Moto) -> None:
    topic = moto.client("sns").create_topic(Name=unique("no-boto3"))["TopicArn"]
    code = textwrap.dedent(
        """
        import sys
        import time

        from starlette.testclient import TestClient

        from poolmail.aws_services import outbox
        from poolmail.cli import build_parser, settings_from
        from poolmail.ses.events.topics import topic_exists
        from poolmail.server.app import create_app
        from poolmail.store import open_database

        url, topic = sys.argv[1:3]
        args = ["serve", "--data-dir", ":memory:", "--aws-endpoint-url", url]
        settings = settings_from(build_parser().parse_args(args))
        db = open_database(data_dir=":memory:")
        assert topic_exists(settings, topic) is True
        assert topic_exists(settings, topic + "-missing") is False
        with db.transaction() as tx:
            outbox.add(
                tx, settings, account="123456789012", source="test", owner="test",
                target=outbox.Target("sns", topic, "us-east-1", {}), payload="hello",
                now=time.time(),
            )
        with TestClient(create_app(settings, db)) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                (record,) = client.get("/_poolmail/outbox").json()["records"]
                if record["status"] != "pending":
                    break
                time.sleep(0.2)
        print(record["status"], record["last_error"])
        print(" ".join(name for name in ("boto3", "botocore.session") if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, moto.url, topic],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
        env={**os.environ, **CREDENTIALS},
    )
    status, modules = result.stdout.splitlines()
    assert status == "delivered None"
    assert modules == ""


def test_keys_come_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from poolmail.aws_services import credentials

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("AWS_PROFILE", "nowhere")
    assert credentials.current() == credentials.Keys("AKID", "secret", "token")
    assert json.dumps(credentials.current()) == '["AKID", "secret", "token"]'
