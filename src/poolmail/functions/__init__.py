"""Running functions: Lambda triggers of user pools (and, later, SES receipt actions).

A function is named by its Lambda ARN. `--functions FILE` names functions that the embedded
runner runs in warm worker processes of their runtime (`runner.py`); any other ARN goes to
the Lambda endpoint (`--lambda-endpoint-url`, else `--aws-endpoint-url`) through Lambda's
Invoke API (`lambda_endpoint.py`). With neither, an ARN answers as AWS answers for a
missing function.

This module is the narrow interface both services use; nothing here imports `server/`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.store import Database


class FunctionFailure(Exception):
    """Base of every way an invocation fails."""


class FunctionError(FunctionFailure):
    """The function ran and reported an error (Lambda's `X-Amz-Function-Error`): it raised,
    its runtime failed to start, or it passed its own timeout. ``message`` is the payload's
    `errorMessage` verbatim ("Task timed out after 3.01 seconds." for the last)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


class InvokeError(FunctionFailure):
    """Lambda's Invoke API refused the call: ``code`` is its error name
    (`ResourceNotFoundException` for a function nobody knows, `AccessDeniedException`, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvokeTimeout(FunctionFailure):
    """No answer within the caller's deadline (Cognito's five seconds)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who invokes, recorded with the invocation: `source` is what fired it (a trigger
    source such as `PreSignUp_SignUp`), `owner` what it belongs to (a pool id).
    `invocation_id`, when the caller chooses it, becomes the record's id (and the
    function's `aws_request_id`), so what the invocation shaped can name it."""

    account: str
    region: str
    source: str
    owner: str
    invocation_id: str | None = None


def invoke(
    settings: Settings,
    db: Database,
    clock: Clock,
    arn: str,
    event: dict[str, Any],
    caller: Caller,
    *,
    deadline: float = 5.0,
) -> Any:
    """Run the function ``arn`` on ``event`` synchronously and return what it returned
    (decoded JSON: any JSON value, None included). Raises FunctionError, InvokeError or
    InvokeTimeout. Records the invocation (request, response or error, duration).

    Must not be called inside a database transaction: the function may call back into
    poolmail (a custom sender sends its mail through poolmail's SES)."""
    from poolmail.functions.dispatch import dispatch

    return dispatch(settings, db, clock, arn, event, caller, deadline=deadline)


_server_url: str | None = None


def note_server_url(url: str) -> None:
    """The URL this server answers on, once it is bound (the port may have been 0):
    functions reach poolmail's own services there."""
    global _server_url
    _server_url = url


def server_url(settings: Settings) -> str:
    if _server_url is not None:
        return _server_url
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


def shutdown() -> None:
    """Stop every worker of the embedded runner (the server's lifespan calls this)."""
    runner = sys.modules.get("poolmail.functions.runner")
    if runner is not None:
        runner.shutdown()
