"""Which runner serves an ARN, and the record of every invocation.

A function named in `--functions` runs embedded; any other ARN goes to the Lambda endpoint;
with neither, the ARN answers as Lambda does for a function it does not know.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.functions import (
    Caller,
    FunctionError,
    FunctionFailure,
    InvokeError,
    InvokeTimeout,
    server_url,
)
from poolmail.functions.config import FunctionsConfigError, parse_function_name
from poolmail.functions.records import Invocation, add
from poolmail.store import Database

log = logging.getLogger("poolmail.functions")


def dispatch(
    settings: Settings,
    db: Database,
    clock: Clock,
    arn: str,
    event: Any,
    caller: Caller,
    *,
    deadline: float,
) -> Any:
    parsed = parse_function_name(arn)
    name = parsed.name if parsed is not None else arn
    region = (parsed.region if parsed else None) or caller.region
    account = (parsed.account if parsed else None) or caller.account
    request_id = caller.invocation_id or str(uuid.uuid4())
    started = time.perf_counter()
    runner_name, result, failure, text = _run(
        settings, arn, name, region, account, request_id, event, deadline
    )
    duration = (time.perf_counter() - started) * 1000
    error_type, message = _error_of(failure)
    record = Invocation(
        id=request_id,
        account=caller.account,
        region=caller.region,
        created_at=clock.now().timestamp(),
        function_name=name,
        arn=arn,
        runner=runner_name,
        source=caller.source,
        owner=caller.owner,
        duration_ms=duration,
        request=event,
        response=result,
        error_type=error_type,
        error_message=message,
        log=text,
    )
    try:
        with db.transaction() as tx:
            add(tx, record)
    except Exception:  # the caller's answer matters more than its record
        log.exception("could not record the invocation of %s", arn)
    if failure is not None:
        raise failure
    return result


def _run(
    settings: Settings,
    arn: str,
    name: str,
    region: str,
    account: str,
    request_id: str,
    event: Any,
    deadline: float,
) -> tuple[str, Any, FunctionFailure | None, str]:
    """The runner used, the result or the failure, and the log."""
    try:
        functions = _embedded(settings, name)
    except FunctionsConfigError as error:
        # Checked at start-up; only a file changed since then lands here.
        return "embedded", None, InvokeError("ServiceException", f"--functions {error}"), ""
    if functions is not None:
        from poolmail.functions.runner import runner_for

        runner = runner_for(functions)
        invoked = arn if arn.startswith("arn:") else _arn(region, account, name)
        outcome = runner.invoke(
            runner.pool(name, region, account),
            invoked,
            request_id,
            event,
            deadline,
            worker_endpoints(settings),
        )
        if outcome.caller_timeout:
            timeout = InvokeTimeout(f"{name} did not answer within {deadline:g} s")
            return "embedded", None, timeout, outcome.log
        if outcome.error is not None:
            return "embedded", None, FunctionError(*outcome.error), outcome.log
        return "embedded", outcome.result, None, outcome.log
    endpoint = settings.lambda_endpoint_url or settings.aws_endpoint_url
    if endpoint is None:
        missing = InvokeError("ResourceNotFoundException", f"Function not found: {arn}")
        return "endpoint", None, missing, ""
    from poolmail.functions import lambda_endpoint

    try:
        result = lambda_endpoint.invoke(endpoint, region, arn, event, deadline)
    except FunctionFailure as error:
        return "endpoint", None, error, ""
    return "endpoint", result, None, ""


def _embedded(settings: Settings, name: str) -> str | None:
    """The `--functions` file when it names the function."""
    if settings.functions is None:
        return None
    from poolmail.functions.runner import runner_for

    return settings.functions if name in runner_for(settings.functions).specs else None


def _arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def _error_of(failure: FunctionFailure | None) -> tuple[str | None, str | None]:
    if isinstance(failure, FunctionError):
        return failure.error_type, failure.message
    if isinstance(failure, InvokeError):
        return failure.code, failure.message
    if isinstance(failure, InvokeTimeout):
        return "InvokeTimeout", str(failure)
    return None, None


def worker_endpoints(settings: Settings) -> dict[str, str]:
    """Where a function's AWS SDK goes (the SDKs read AWS_ENDPOINT_URL and its per-service
    forms): poolmail's own services here, anything else to `--aws-endpoint-url` (else here
    too, where it is answered as an unknown service), Lambda to `--lambda-endpoint-url`."""
    own = server_url(settings)
    endpoints = {
        "AWS_ENDPOINT_URL": settings.aws_endpoint_url or own,
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": own,
        "AWS_ENDPOINT_URL_SES": own,
        "AWS_ENDPOINT_URL_SESV2": own,
    }
    if settings.lambda_endpoint_url:
        endpoints["AWS_ENDPOINT_URL_LAMBDA"] = settings.lambda_endpoint_url
    return endpoints
