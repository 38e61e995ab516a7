"""SES v1 receipt rules: create (first, or after a named rule), describe with SES's
defaults filled, update, delete, move; every refusal with AWS's code and message and no
change; action targets checked at moto's server when an endpoint is configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BACKENDS
from tests.ses.helpers import verify
from tests.ses.receiving.test_rule_sets import PATTERN, refusal, rule_names
from tests.support.functions import write_functions
from tests.support.moto import CREDENTIALS, Moto, unique
from tests.support.server import ServerProcess, serving

TOPIC = "arn:aws:sns:us-east-1:123456789012:inbound"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:on-mail"
EVERY_ACTION: list[dict[str, Any]] = [
    {"AddHeaderAction": {"HeaderName": "X-Received-By", "HeaderValue": "poolmail rule"}},
    {
        "S3Action": {
            "BucketName": "mail-bucket",
            "ObjectKeyPrefix": "inbox/",
            "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/aws/ses",
            "TopicArn": TOPIC,
            "IamRoleArn": "arn:aws:iam::123456789012:role/ses-writes",
        }
    },
    {"SNSAction": {"TopicArn": TOPIC, "Encoding": "Base64"}},
    {"LambdaAction": {"FunctionArn": FUNCTION, "InvocationType": "RequestResponse"}},
    {
        "WorkmailAction": {
            "OrganizationArn": "arn:aws:workmail:us-east-1:123456789012:organization/m-1"
        }
    },
    {
        "BounceAction": {
            "SmtpReplyCode": "550",
            "StatusCode": "5.1.1",
            "Message": "Mailbox does not exist",
            "Sender": "postmaster@example.com",
            "TopicArn": TOPIC,
        }
    },
    {"StopAction": {"Scope": "RuleSet", "TopicArn": TOPIC}},
]


@pytest.fixture
def ses(live: ServerProcess) -> Any:
    client = live.client("ses")
    client.create_receipt_rule_set(RuleSetName="rules")
    return client


def test_defaults_are_filled_and_every_action_round_trips(live: ServerProcess, ses: Any) -> None:
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "bare"})
    assert ses.describe_receipt_rule(RuleSetName="rules", RuleName="bare")["Rule"] == {
        "Name": "bare",
        "Enabled": False,
        "TlsPolicy": "Optional",
        "Recipients": [],
        "Actions": [],
        "ScanEnabled": False,
    }
    verify(live, "example.com")
    full = {
        "Name": "full.rule_1",
        "Enabled": True,
        "TlsPolicy": "Require",
        "Recipients": ["info@example.com", "example.com", ".example.com"],
        "Actions": EVERY_ACTION,
        "ScanEnabled": True,
    }
    ses.create_receipt_rule(RuleSetName="rules", After="bare", Rule=full)
    assert ses.describe_receipt_rule(RuleSetName="rules", RuleName="full.rule_1")["Rule"] == full
    # SES fills in an SNS action's encoding.
    ses.update_receipt_rule(
        RuleSetName="rules",
        Rule={"Name": "bare", "Actions": [{"SNSAction": {"TopicArn": TOPIC}}]},
    )
    [described] = [
        r
        for r in ses.describe_receipt_rule_set(RuleSetName="rules")["Rules"]
        if r["Name"] == "bare"
    ]
    assert described["Actions"] == [{"SNSAction": {"TopicArn": TOPIC, "Encoding": "UTF-8"}}]


def test_ordering_with_after_and_set_position(ses: Any) -> None:
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "b"})
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "a"})  # no After: first
    ses.create_receipt_rule(RuleSetName="rules", After="b", Rule={"Name": "d"})
    ses.create_receipt_rule(RuleSetName="rules", After="b", Rule={"Name": "c"})
    assert rule_names(ses, "rules") == ["a", "b", "c", "d"]
    ses.set_receipt_rule_position(RuleSetName="rules", RuleName="a", After="d")
    assert rule_names(ses, "rules") == ["b", "c", "d", "a"]
    ses.set_receipt_rule_position(RuleSetName="rules", RuleName="d")
    assert rule_names(ses, "rules") == ["d", "b", "c", "a"]
    ses.set_receipt_rule_position(RuleSetName="rules", RuleName="c", After="c")
    ses.set_receipt_rule_position(RuleSetName="rules", RuleName="b", After="d")
    assert rule_names(ses, "rules") == ["d", "b", "c", "a"]

    def position(**params: Any) -> tuple[str, str, int]:
        return refusal(ses.set_receipt_rule_position, **{"RuleSetName": "rules", **params})

    assert position(RuleName="x") == ("RuleDoesNotExist", "Rule does not exist: x", 400)
    assert position(RuleName="a", After="x") == ("RuleDoesNotExist", "Rule does not exist: x", 400)
    assert position(RuleSetName="nope", RuleName="a") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )
    assert position(RuleName="-a")[:2] == ("InvalidParameterValue", "Not a valid ruleName: -a")
    assert rule_names(ses, "rules") == ["d", "b", "c", "a"]


def test_create_refusals_change_nothing(live: ServerProcess, ses: Any) -> None:
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "kept"})

    def create(rule: dict[str, Any], **params: Any) -> tuple[str, str, int]:
        return refusal(ses.create_receipt_rule, **{"RuleSetName": "rules", "Rule": rule, **params})

    assert create({"Name": "kept"}) == ("AlreadyExists", "Rule already exists: kept", 400)
    assert create({"Name": "new"}, After="missing") == (
        "RuleDoesNotExist",
        "Rule does not exist: missing",
        400,
    )
    assert create({"Name": "new"}, RuleSetName="nope") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )
    assert create({"Name": "bad-"}) == ("InvalidParameterValue", "Not a valid ruleName: bad-", 400)
    assert create({"Name": "bad name"}) == (
        "ValidationError",
        f"1 validation error detected: Value at 'rule.name' failed to satisfy constraint: "
        f"{PATTERN}",
        400,
    )
    # The rule is checked before its set is looked up.
    assert create({"Name": "-x"}, RuleSetName="nope")[0] == "InvalidParameterValue"
    assert create({"Name": "new", "Recipients": [f"u{n}@example.com" for n in range(101)]}) == (
        "LimitExceeded",
        "Too many recipients",
        400,
    )
    stop = {"StopAction": {"Scope": "RuleSet"}}
    assert create({"Name": "new", "Actions": [stop] * 11}) == (
        "LimitExceeded",
        "Too many actions",
        400,
    )
    assert create({"Name": "new", "Actions": [stop, EVERY_ACTION[0]]}) == (
        "InvalidParameterValue",
        "Stop action, if any, must be placed at the end of the actions list",
        400,
    )
    assert create({"Name": "new", "Actions": [{**stop, **EVERY_ACTION[0]}]}) == (
        "InvalidParameterValue",
        "Each action must specify exactly one action type",
        400,
    )
    header = {"HeaderName": "X-Ok", "HeaderValue": "fine"}
    for bad_name in ("X_Under", "a" * 51, "X:colon"):
        assert create(
            {"Name": "new", "Actions": [{"AddHeaderAction": {**header, "HeaderName": bad_name}}]}
        ) == ("InvalidParameterValue", f"Invalid header name: {bad_name}", 400)
    for bad_value in ("two\nlines", "x" * 2049):
        assert create(
            {"Name": "new", "Actions": [{"AddHeaderAction": {**header, "HeaderValue": bad_value}}]}
        ) == ("InvalidParameterValue", f"Invalid header value: {bad_value}", 400)
    bounce = {"SmtpReplyCode": "550", "Message": "no", "Sender": "postmaster@example.com"}
    for change, message in [
        ({"SmtpReplyCode": "250"}, "Invalid SMTP reply code: 250"),
        ({"StatusCode": "5.1"}, "Invalid SMTP status code: 5.1"),
        ({"Message": ""}, "Invalid SMTP response message: "),
        ({}, "Identity is not verified: postmaster@example.com"),
    ]:
        assert create({"Name": "new", "Actions": [{"BounceAction": {**bounce, **change}}]}) == (
            "InvalidParameterValue",
            message,
            400,
        )
    assert create({"Name": "new", "Actions": [{"SNSAction": {"TopicArn": "inbound"}}]}) == (
        "InvalidSnsTopic",
        "Invalid SNS topic: inbound",
        400,
    )
    elsewhere = TOPIC.replace("us-east-1", "eu-west-1")
    assert create({"Name": "new", "Actions": [{"SNSAction": {"TopicArn": elsewhere}}]}) == (
        "InvalidSnsTopic",
        f"Could not publish to SNS topic: {elsewhere}",
        400,
    )
    assert create({"Name": "new", "Actions": [{"LambdaAction": {"FunctionArn": "on-mail"}}]}) == (
        "InvalidLambdaFunction",
        "Invalid Lambda function: on-mail",
        400,
    )
    assert ses.describe_receipt_rule_set(RuleSetName="rules")["Rules"] == [
        {
            "Name": "kept",
            "Enabled": False,
            "TlsPolicy": "Optional",
            "Recipients": [],
            "Actions": [],
            "ScanEnabled": False,
        }
    ]


def test_two_hundred_rules_at_most(ses: Any) -> None:
    for number in range(200):
        ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": f"r{number:03d}"})
    assert refusal(ses.create_receipt_rule, RuleSetName="rules", Rule={"Name": "one-more"}) == (
        "LimitExceeded",
        "Too many rules",
        400,
    )
    assert len(rule_names(ses, "rules")) == 200


def test_update_replaces_the_whole_rule_in_place(ses: Any) -> None:
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "b"})
    ses.create_receipt_rule(
        RuleSetName="rules",
        Rule={"Name": "a", "Enabled": True, "Recipients": ["example.com"], "ScanEnabled": True},
    )
    ses.update_receipt_rule(RuleSetName="rules", Rule={"Name": "a", "TlsPolicy": "Require"})
    assert rule_names(ses, "rules") == ["a", "b"]
    assert ses.describe_receipt_rule(RuleSetName="rules", RuleName="a")["Rule"] == {
        "Name": "a",
        "Enabled": False,
        "TlsPolicy": "Require",
        "Recipients": [],
        "Actions": [],
        "ScanEnabled": False,
    }
    assert refusal(ses.update_receipt_rule, RuleSetName="rules", Rule={"Name": "c"}) == (
        "RuleDoesNotExist",
        "Rule does not exist: c",
        400,
    )
    assert refusal(ses.update_receipt_rule, RuleSetName="nope", Rule={"Name": "a"}) == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )


def test_describe_and_delete(ses: Any) -> None:
    ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": "a"})
    assert refusal(ses.describe_receipt_rule, RuleSetName="rules", RuleName="b") == (
        "RuleDoesNotExist",
        "Rule does not exist: b",
        400,
    )
    assert refusal(ses.describe_receipt_rule, RuleSetName="nope", RuleName="a") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )
    # A rule that does not exist is deleted already; its set must exist.
    ses.delete_receipt_rule(RuleSetName="rules", RuleName="b")
    assert refusal(ses.delete_receipt_rule, RuleSetName="nope", RuleName="a") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )
    ses.delete_receipt_rule(RuleSetName="rules", RuleName="a")
    assert rule_names(ses, "rules") == []


# --- targets checked at moto's server -------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def checked(
    request: pytest.FixtureRequest, moto: Moto, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server whose other AWS services are moto's, with one embedded function."""
    functions = write_functions(
        tmp_path_factory.mktemp("functions"),
        {
            "on-mail": (
                "python3.12",
                "app.handler",
                {"app.py": "def handler(e, c):\n    return e\n"},
            )
        },
    )
    options = ["--aws-endpoint-url", moto.url, "--functions", str(functions)]
    with serving(request.param, options, env=CREDENTIALS) as running:
        yield running


def test_targets_must_exist_at_the_endpoint(checked: ServerProcess, moto: Moto) -> None:
    checked.reset()
    ses = checked.client("ses")
    ses.create_receipt_rule_set(RuleSetName="rules")
    topic = moto.client("sns").create_topic(Name=unique("inbound-at-moto"))["TopicArn"]
    bucket = unique("mail-at-moto")
    moto.client("s3").create_bucket(Bucket=bucket)
    ses.create_receipt_rule(
        RuleSetName="rules",
        Rule={
            "Name": "good",
            "Actions": [
                {"S3Action": {"BucketName": bucket, "TopicArn": topic}},
                {"LambdaAction": {"FunctionArn": FUNCTION}},  # named in --functions
            ],
        },
    )

    def create(action: dict[str, Any]) -> tuple[str, str, int]:
        return refusal(
            ses.create_receipt_rule, RuleSetName="rules", Rule={"Name": "bad", "Actions": [action]}
        )

    missing_topic = topic + "-gone"
    assert create({"SNSAction": {"TopicArn": missing_topic}}) == (
        "InvalidSnsTopic",
        f"Could not publish to SNS topic: {missing_topic}",
        400,
    )
    assert create({"S3Action": {"BucketName": "no-such-bucket"}}) == (
        "InvalidS3Configuration",
        "Could not write to bucket: no-such-bucket",
        400,
    )
    unknown = FUNCTION.replace("on-mail", "not-anywhere")
    assert create({"LambdaAction": {"FunctionArn": unknown}}) == (
        "InvalidLambdaFunction",
        f"Could not invoke Lambda function: {unknown}",
        400,
    )
    assert rule_names(ses, "rules") == ["good"]
    with pytest.raises(Exception) as excinfo:
        ses.update_receipt_rule(
            RuleSetName="rules",
            Rule={"Name": "good", "Actions": [{"SNSAction": {"TopicArn": missing_topic}}]},
        )
    assert "InvalidSnsTopic" in str(excinfo.value)
    assert ses.describe_receipt_rule(RuleSetName="rules", RuleName="good")["Rule"]["Actions"][
        0
    ] == {"S3Action": {"BucketName": bucket, "TopicArn": topic}}


def test_no_endpoint_accepts_well_formed_targets(ses: Any, tmp_path: Path) -> None:
    ses.create_receipt_rule(
        RuleSetName="rules",
        Rule={
            "Name": "anything",
            "Actions": [
                {"S3Action": {"BucketName": "nobody-knows"}},
                {"LambdaAction": {"FunctionArn": FUNCTION}},
                {"SNSAction": {"TopicArn": TOPIC}},
            ],
        },
    )
    assert rule_names(ses, "rules") == ["anything"]
