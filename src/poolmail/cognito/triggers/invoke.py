"""What every trigger shares: the event envelope, the invocation and AWS's errors.

Facts: ../shared/facts/cognito-lambda-triggers.md sections 2 and 5.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail import functions
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.context import RequestContext
from poolmail.operations import on_loop
from poolmail.protocol.errors import AwsError

# `callerContext.clientId` of an operation that names no app client (AdminCreateUser, ...):
# the constant real CustomMessage_AdminCreateUser events carry.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
# What AWS answers for output it cannot use (null, a non-object, a `response` that is no
# object): "Unrecognizable lambda output" is the text reported for these.
UNRECOGNIZABLE = "Unrecognizable lambda output"
# Cognito's own deadline, which no setting changes (TRIG: "it must respond within 5 seconds").
DEADLINE = 5.0

# The SDK part of a User-Agent: `aws-sdk-js/3.614.0`, `Boto3/1.43.0`, `aws-cli/1.45.0`.
_SDK = re.compile(r"(?P<name>aws-sdk-[a-z]+|Boto3|Botocore|aws-cli)/(?P<version>[0-9][\w.-]*)")


def configured(pool: StoredPool, trigger: str) -> str | None:
    """The ARN ``trigger`` (a `LambdaConfig` key) runs, or None when the pool has none.
    For the custom senders, whose value is an object, its `LambdaArn`."""
    value = (pool.settings.get("LambdaConfig") or {}).get(trigger)
    if isinstance(value, dict):
        arn = value.get("LambdaArn")
        return arn if isinstance(arn, str) and arn else None
    return value if isinstance(value, str) and value else None


def sdk_version(user_agent: str) -> str:
    """`callerContext.awsSdkVersion`: real events carry `aws-sdk-js-3.614.0` for the JS SDK
    and `aws-sdk-unknown-unknown` when Cognito cannot tell."""
    found = _SDK.search(user_agent)
    if found is None:
        return "aws-sdk-unknown-unknown"
    name = found["name"].lower()
    name = name if name.startswith("aws-sdk-") else f"aws-sdk-{name}"
    return f"{name}-{found['version']}"


def envelope(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user_name: str,
    request: dict[str, Any],
    response: dict[str, Any],
    *,
    client_id: str | None = None,
    version: str = "1",
) -> dict[str, Any]:
    """The event as Cognito sends it (facts section 2)."""
    return {
        "version": version,
        "triggerSource": source,
        "region": ctx.region,
        "userPoolId": pool.id,
        "userName": user_name,
        "callerContext": {
            "awsSdkVersion": sdk_version(ctx.user_agent),
            "clientId": client_id or NO_CLIENT,
        },
        "request": request,
        "response": response,
    }


def call(
    ctx: RequestContext,
    pool: StoredPool,
    trigger: str,
    event: dict[str, Any],
    *,
    invocation_id: str | None = None,
) -> dict[str, Any]:
    """Invoke the function ``trigger`` names with ``event``; return the `response` object
    of what it returned, or raise AWS's error for each way that fails. ``invocation_id``:
    the id the invocation is recorded under, for what it shapes to name it.

    Never call this inside a database transaction (see `functions.invoke`)."""
    arn = configured(pool, trigger)
    if arn is None:
        raise ValueError(f"the pool has no {trigger} trigger")
    if on_loop():
        # An operation must leave the loop before its first write (events.leave_loop).
        raise RuntimeError(f"{trigger} would run on the event loop")
    caller = functions.Caller(
        ctx.account_id, ctx.region, event["triggerSource"], pool.id, invocation_id
    )
    try:
        output = functions.invoke(
            ctx.settings, ctx.db, ctx.clock, arn, event, caller, deadline=DEADLINE
        )
    except functions.FunctionError as failure:
        # Cognito appends its own period, doubling one the message already ends with.
        raise AwsError(
            "UserLambdaValidationException", f"{trigger} failed with error {failure.message}."
        ) from failure
    except functions.InvokeError as failure:
        raise AwsError(
            "UnexpectedLambdaException",
            f"{trigger} invocation failed due to error {failure.code}.",
        ) from failure
    except functions.InvokeTimeout as failure:
        raise AwsError(
            "UnexpectedLambdaException",
            f"{trigger} invocation failed due to error Socket timeout while invoking Lambda "
            "function.",
        ) from failure
    if not isinstance(output, dict):
        raise AwsError("InvalidLambdaResponseException", UNRECOGNIZABLE)
    response = output.get("response")
    if response is None:
        return {}
    if not isinstance(response, dict):
        raise AwsError("InvalidLambdaResponseException", UNRECOGNIZABLE)
    return response
