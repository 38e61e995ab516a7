"""CustomEmailSender and CustomSMSSender: with one configured, every mail (or text) the
pool would send goes to the function instead, the code in it encrypted under the pool's
`KMSKeyID` (sender_codes.py); the function sends the message itself.

AWS invokes these asynchronously ("Except for Custom sender Lambda triggers, Amazon
Cognito invokes Lambda functions synchronously", TRIG): the operation neither waits for
the function nor fails by it. poolmail encrypts and invokes in a background thread; what
goes wrong there is kept in the invocations log (`/_poolmail/functions/invocations`).

Facts: ../shared/facts/cognito-lambda-triggers.md sections 1, 6 and 7.
"""

from __future__ import annotations

import html
import logging
import threading
import uuid
from typing import Any

from poolmail import functions
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import user_attributes
from poolmail.cognito.users.users import find_user
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

log = logging.getLogger("poolmail.cognito.triggers")

EMAIL = "CustomEmailSender"
SMS = "CustomSMSSender"
_REQUEST_TYPES = {EMAIL: "customEmailSenderRequestV1", SMS: "customSMSSenderRequestV1"}
# Choice: AWS's text is not known; the documented rule is that custom sender triggers
# "require LambdaConfig parameters of KMSKeyID and CustomSMSSender or CustomEmailSender".
KMS_KEY_REQUIRED = (
    "KMSKeyID is required in LambdaConfig when CustomEmailSender or CustomSMSSender is set."
)
# The mail kinds of poolmail's senders (delivery.CognitoEmail.kind, outbox.Sms.kind) and
# the trigger source each is (CES/CSS).
_SOURCES = {
    "cognito-sign-up": "SignUp",
    "cognito-resend-code": "ResendCode",
    "cognito-forgot-password": "ForgotPassword",
    # AdminResetUserPassword's code is a forgot-password code (CustomMessage_ForgotPassword
    # is what AWS documents for it).
    "cognito-admin-reset-password": "ForgotPassword",
    "cognito-invitation": "AdminCreateUser",
    "cognito-mfa": "Authentication",
    "cognito-sign-in-code": "Authentication",
    "cognito-risk-notification": "AccountTakeOverNotification",
}
# "clientMetadata ... only for _ForgotPassword, _SignUp, _Authentication" (CES).
_WITH_METADATA = ("SignUp", "ForgotPassword", "Authentication")
# An asynchronous invocation waits on the function's own timeout, not Cognito's five
# seconds; this bounds the background thread.
_ASYNC_DEADLINE = 60.0


def check_config(settings: dict[str, Any]) -> None:
    """CreateUserPool / UpdateUserPool: a custom sender needs the pool's KMS key. (The
    model itself requires `LambdaArn` and `LambdaVersion`, which can only be V1_0.)"""
    config = settings.get("LambdaConfig") or {}
    if (config.get(EMAIL) or config.get(SMS)) and not config.get("KMSKeyID"):
        raise AwsError("InvalidParameterException", KMS_KEY_REQUIRED)


def replaces(settings: dict[str, Any], trigger: str) -> bool:
    """Whether the pool's ``trigger`` (EMAIL or SMS) sender takes its messages."""
    value = (settings.get("LambdaConfig") or {}).get(trigger)
    return isinstance(value, dict) and bool(value.get("LambdaArn"))


def source_of(kind: str, operation: str) -> str | None:
    """The trigger source's suffix for a message of ``kind`` sent by ``operation``."""
    if kind == "cognito-attribute-verification":
        # GetUserAttributeVerificationCode asks for a code; the update operations send one
        # for a changed address (TRIG's "VerifyUserAttributes" row).
        if operation == "GetUserAttributeVerificationCode":
            return "VerifyUserAttribute"
        return "UpdateUserAttribute"
    return _SOURCES.get(kind)


def send(
    ctx: RequestContext,
    trigger: str,
    kind: str,
    pool_id: str,
    username: str,
    code: str | None,
    *,
    client_id: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """Hand a message to the pool's ``trigger`` function (in the background); an id for
    the hand-over. ``ctx`` carries the pool's account and region; call it outside any
    transaction."""
    suffix = source_of(kind, ctx.operation)
    if suffix is None:
        raise ValueError(f"no custom sender source for {kind} mail")
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = find_user(tx, pool, username)
    request: dict[str, Any] = {"type": _REQUEST_TYPES[trigger], "code": None}
    if metadata and suffix in _WITH_METADATA:
        request["clientMetadata"] = dict(metadata)
    request["userAttributes"] = user_attributes(pool, user) if user is not None else {}
    source = f"{trigger}_{suffix}"
    event = invoke.envelope(ctx, pool, source, username, request, {}, client_id=client_id)
    if code is not None and suffix == "AdminCreateUser":
        # "Temporary passwords are HTML-escaped" before encryption; codes are digits.
        code = html.escape(code, quote=False)
    return _start(ctx, pool, trigger, event, code)


def send_takeover_notification(
    ctx: RequestContext, pool: StoredPool, username: str, details: dict[str, str]
) -> str:
    """Threat protection's mail about a risky sign-in, to the CustomEmailSender:
    `CustomEmailSender_AccountTakeOverNotification`, whose `userAttributes` are the
    event's details (EVENT_ID, USER_NAME, IP_ADDRESS, ...) and whose `code` is null; no
    clientMetadata ever (CES)."""
    request = {"type": _REQUEST_TYPES[EMAIL], "code": None, "userAttributes": details}
    source = f"{EMAIL}_AccountTakeOverNotification"
    event = invoke.envelope(ctx, pool, source, username, request, {})
    return _start(ctx, pool, EMAIL, event, None)


def _start(
    ctx: RequestContext,
    pool: StoredPool,
    trigger: str,
    event: dict[str, Any],
    code: str | None,
) -> str:
    handed = str(uuid.uuid4())
    worker = threading.Thread(
        target=_run,
        args=(ctx, pool, trigger, event, code),
        name=f"poolmail-{trigger}-{handed[:8]}",
        daemon=True,
    )
    worker.start()
    return handed


def _run(
    ctx: RequestContext,
    pool: StoredPool,
    trigger: str,
    event: dict[str, Any],
    code: str | None,
) -> None:
    from poolmail.cognito.triggers import sender_codes

    arn = invoke.configured(pool, trigger)
    if arn is None:
        return
    caller = functions.Caller(ctx.account_id, ctx.region, event["triggerSource"], pool.id)
    if code is not None:
        key = str((pool.settings.get("LambdaConfig") or {}).get("KMSKeyID") or "")
        try:
            event["request"]["code"] = sender_codes.encrypt(ctx.settings, key, pool.id, code)
        except sender_codes.CodeNotEncrypted as failure:
            # Choice: AWS's behaviour when the key cannot be used is not documented; the
            # message is not sent and the function not invoked, and the log says why.
            _record_unsent(ctx, arn, caller, event, failure.code, failure.message)
            return
        except Exception as failure:  # a thread of its own: nothing else would see it
            _record_unsent(ctx, arn, caller, event, type(failure).__name__, str(failure))
            return
    try:
        functions.invoke(
            ctx.settings, ctx.db, ctx.clock, arn, event, caller, deadline=_ASYNC_DEADLINE
        )
    except functions.FunctionFailure as failure:
        # Recorded with the invocation; the operation answered long ago.
        log.info("%s for %s failed: %s", trigger, pool.id, failure)
    except Exception:
        log.exception("%s for %s could not be invoked", trigger, pool.id)


def _record_unsent(
    ctx: RequestContext,
    arn: str,
    caller: functions.Caller,
    event: dict[str, Any],
    error: str,
    message: str,
) -> None:
    from poolmail.functions.config import parse_function_name
    from poolmail.functions.records import Invocation, add

    log.info("%s not invoked for %s: %s %s", arn, caller.owner, error, message)
    parsed = parse_function_name(arn)
    record = Invocation(
        id=str(uuid.uuid4()),
        account=caller.account,
        region=caller.region,
        created_at=ctx.clock.now().timestamp(),
        function_name=parsed.name if parsed is not None else arn,
        arn=arn,
        # Not run by either runner: the code could not be encrypted.
        runner="not-invoked",
        source=caller.source,
        owner=caller.owner,
        duration_ms=0.0,
        request=event,
        error_type=error,
        error_message=message,
    )
    try:
        with ctx.db.transaction() as tx:
            add(tx, record)
    except Exception:
        log.exception("could not record the unsent %s", caller.source)
