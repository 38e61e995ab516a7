"""What a receipt rule's actions point at: SNS topics, S3 buckets, Lambda functions and a
bounce's sender, checked when the rule is created or updated, as SES checks them.

An ARN that is not shaped as one is refused at once. Existence is asked of the other-AWS
endpoint (`--aws-endpoint-url`, or the service's own option) through boto3 when one is
configured; a Lambda function named in `--functions` exists without asking. With nothing
configured a well-formed target is accepted (Choice: poolmail cannot know, and refusing
would make receipt rules unusable without another engine; docs/ses-receiving.md).
boto3 is imported at the first check, never at start-up.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail.aws_services.outbox import endpoint_for
from poolmail.config import Settings
from poolmail.functions.config import parse_function_name
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.coverage import covering_identity
from poolmail.store import Transaction

# floci-io/floci#3119 ~: a value not shaped as an ARN gets "Invalid ..." before any lookup.
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-zA-Z-]*:sns:(?P<region>[a-z0-9-]+):[0-9]{12}:.+")
LAMBDA_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):[0-9]{12}:function:.+"
)
_TIMEOUTS = {"connect_timeout": 2, "read_timeout": 10, "retries": {"total_max_attempts": 1}}


def check_bounce_senders(
    tx: Transaction, account: str, region: str, rule: dict[str, Any], now: float
) -> None:
    """A BounceAction's Sender must be covered by a verified identity of the account in
    the region (floci-io/floci#3119 ~: `Identity is not verified: <sender>`)."""
    for action in rule["Actions"]:
        bounce = action.get("BounceAction")
        if bounce is None:
            continue
        sender = bounce["Sender"]
        if covering_identity(tx, account, region, sender, now) is None:
            raise AwsError("InvalidParameterValue", f"Identity is not verified: {sender}")


def check_targets(settings: Settings, region: str, rule: dict[str, Any]) -> None:
    """Every topic, bucket and function the rule's actions name: shaped right, in the
    receiving region (SNS and Lambda; docs.aws.amazon.com/ses/latest/dg/
    receiving-email-permissions.html), and existing where that can be asked."""
    for action in rule["Actions"]:
        for body in action.values():
            topic = body.get("TopicArn")
            if topic is not None:
                _check_topic(settings, region, topic)
        s3 = action.get("S3Action")
        if s3 is not None:
            _check_bucket(settings, region, s3["BucketName"])
        function = action.get("LambdaAction")
        if function is not None:
            _check_function(settings, region, function["FunctionArn"])


def _check_topic(settings: Settings, region: str, arn: str) -> None:
    match = SNS_TOPIC_ARN.fullmatch(arn)
    if match is None:
        raise _bad_topic(f"Invalid SNS topic: {arn}", arn)
    endpoint = endpoint_for(settings, "sns")
    if match["region"] != region:
        raise _bad_topic(f"Could not publish to SNS topic: {arn}", arn)
    if endpoint is None:
        return
    if not _answers(endpoint, "sns", region, lambda c: c.get_topic_attributes(TopicArn=arn)):
        raise _bad_topic(f"Could not publish to SNS topic: {arn}", arn)


def _bad_topic(message: str, arn: str) -> AwsError:
    return AwsError("InvalidSnsTopicException", message, fields={"Topic": arn})


def _check_bucket(settings: Settings, region: str, bucket: str) -> None:
    endpoint = endpoint_for(settings, "s3")
    if endpoint is None:
        return
    if not _answers(endpoint, "s3", region, lambda c: c.head_bucket(Bucket=bucket)):
        # [obs] AWS's text (aws/aws-cdk#1885, #30375): "Could not write to bucket: <name>".
        raise AwsError(
            "InvalidS3ConfigurationException",
            f"Could not write to bucket: {bucket}",
            fields={"Bucket": bucket},
        )


def _check_function(settings: Settings, region: str, arn: str) -> None:
    match = LAMBDA_FUNCTION_ARN.fullmatch(arn)
    if match is None:
        raise _bad_function(f"Invalid Lambda function: {arn}", arn)
    if match["region"] != region:
        raise _bad_function(f"Could not invoke Lambda function: {arn}", arn)
    if _embedded(settings, arn):
        return
    endpoint = settings.lambda_endpoint_url or settings.aws_endpoint_url
    if endpoint is None:
        return
    if not _answers(endpoint, "lambda", region, lambda c: c.get_function(FunctionName=arn)):
        raise _bad_function(f"Could not invoke Lambda function: {arn}", arn)


def _bad_function(message: str, arn: str) -> AwsError:
    return AwsError("InvalidLambdaFunctionException", message, fields={"FunctionArn": arn})


def _embedded(settings: Settings, arn: str) -> bool:
    """Whether the `--functions` file names the function (the embedded runner runs it)."""
    if settings.functions is None:
        return False
    parsed = parse_function_name(arn)
    if parsed is None:
        return False
    from poolmail.functions.config import FunctionsConfigError
    from poolmail.functions.runner import runner_for

    try:
        return parsed.name in runner_for(settings.functions).specs
    except FunctionsConfigError:
        return False


def _answers(endpoint: str, service: str, region: str, call: Any) -> bool:
    """Whether the call succeeds at the endpoint: an error answer (no such resource, no
    access) or an endpoint that cannot be reached both mean SES could not use it."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = {"addressing_style": "path"} if service == "s3" else None
    client = boto3.client(
        service, endpoint_url=endpoint, region_name=region, config=Config(s3=s3, **_TIMEOUTS)
    )
    try:
        call(client)
    except (ClientError, BotoCoreError):
        return False
    return True
