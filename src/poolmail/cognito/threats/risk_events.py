"""Threat protection's user activity log: the auth events of sign-ins, sign-ups and password
changes, AdminListUserAuthEvents, and the feedback on them (AdminUpdateAuthEventFeedback,
UpdateAuthEventFeedback).

Events are kept only while the pool's mode is AUDIT or ENFORCED, as AWS logs user activity
only with threat protection on (cognito-user-pool-settings-adaptive-authentication.html,
"Viewing user event history"). `record` and the sign-in hooks return at once, without a
database read, for a pool whose mode is OFF: the sign-in path is benchmarked.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from contextvars import ContextVar
from typing import Any

from poolmail.cognito.pools import log_delivery
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, not_found
from poolmail.cognito.threats.threat_protection import active
from poolmail.cognito.users.users import USER_NOT_FOUND, StoredUser, find_user
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

SIGN_IN = "SignIn"
SIGN_UP = "SignUp"
FORGOT_PASSWORD = "ForgotPassword"
PASSWORD_CHANGE = "PasswordChange"
RESEND_CODE = "ResendCode"
PASS, FAIL, IN_PROGRESS = "Pass", "Fail", "InProgress"
# AdminListUserAuthEvents "Returns 60 events if you set MaxResults to 0, or if you don't
# include a MaxResults parameter" [model].
DEFAULT_PAGE = 60
# Not found: AWS's text; the exception is AWS's on a pool without add-ons, as an emulator
# that matched real Cognito reports (ministackorg/ministack#1538).
ADD_ONS_OFF = "Advanced security features are not enabled for this user pool."
# Not found: AWS's texts for an event or feedback token it does not know.
EVENT_NOT_FOUND = "Auth event {event_id} does not exist."
BAD_FEEDBACK_TOKEN = "Invalid feedback token."


@dataclasses.dataclass(slots=True)
class Risk:
    """EventRisk of an event: the decision, the level and compromised credentials."""

    decision: str = "NoRisk"
    level: str | None = None
    compromised: bool = False

    def to_wire(self) -> dict[str, Any]:
        risk: dict[str, Any] = {
            "RiskDecision": self.decision,
            "CompromisedCredentialsDetected": self.compromised,
        }
        if self.level is not None:
            risk["RiskLevel"] = self.level
        return risk


# The (pool, user) whose password a check of this request found breached, for the event
# that follows (AUDIT, or NO_ACTION). A request runs in its own context: it never leaks.
_compromised: ContextVar[tuple[str, str] | None] = ContextVar("poolmail_compromised", default=None)


def mark_compromised(pool_id: str, username: str) -> None:
    _compromised.set((pool_id, username))


def take_compromised(pool_id: str, username: str) -> bool:
    """Whether this request found the user's password breached (and forget it)."""
    found = _compromised.get() == (pool_id, username)
    _compromised.set(None)
    return found


# The IP address the sign-in request names, for its events and the IP range lists.
_request_ip: ContextVar[str | None] = ContextVar("poolmail_request_ip", default=None)


def note_request(params: dict[str, Any]) -> None:
    """Keep the IP address a sign-in request carries: AdminInitiateAuth's ContextData or
    the public operations' UserContextData [model ContextDataType, UserContextDataType]."""
    data = params.get("ContextData") or params.get("UserContextData") or {}
    _request_ip.set(str(data["IpAddress"]) if data.get("IpAddress") else None)


def request_ip() -> str | None:
    return _request_ip.get()


def _context_data(ctx: RequestContext) -> dict[str, Any]:
    # Choice: the request's own address is not known below the web layer; a request that
    # names none is logged as from the local machine. City, country and device name come
    # from AWS's geolocation and the SDK's encoded data, which poolmail does not have.
    return {"IpAddress": request_ip() or "127.0.0.1", "DeviceName": "Other", "Timezone": "+00:00"}


def new_event(
    tx: Transaction,
    ctx: RequestContext,
    pool: StoredPool,
    username: str,
    event_type: str,
    response: str,
    risk: Risk | None = None,
    challenges: list[dict[str, str]] | None = None,
) -> tuple[str, str]:
    """Store an event; its id and feedback token."""
    event_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(32)
    data = {
        "EventType": event_type,
        "EventResponse": response,
        "EventRisk": (risk or Risk()).to_wire(),
        "ChallengeResponses": challenges or [],
        "EventContextData": _context_data(ctx),
    }
    tx.execute(
        "INSERT INTO cognito_auth_events (pool_id, event_id, username, created_at, "
        "feedback_token, data) VALUES (?, ?, ?, ?, ?, ?)",
        (pool.id, event_id, username, ctx.clock.now().timestamp(), token, json.dumps(data)),
    )
    log_delivery.auth_event(tx, ctx, pool, {**data, "EventId": event_id, "Username": username})
    return event_id, token


def update_event(tx: Transaction, pool_id: str, event_id: str, **changes: Any) -> None:
    """Change members of a stored event (its response, risk, challenges)."""
    row = tx.fetchone(
        "SELECT data FROM cognito_auth_events WHERE pool_id = ? AND event_id = ?",
        (pool_id, event_id),
    )
    if row is None:
        return
    data = {**json.loads(row[0]), **changes}
    tx.execute(
        "UPDATE cognito_auth_events SET data = ? WHERE pool_id = ? AND event_id = ?",
        (json.dumps(data), pool_id, event_id),
    )


def record(
    ctx: RequestContext,
    pool: StoredPool,
    user: StoredUser | None,
    event_type: str,
    response: str = PASS,
    risk: Risk | None = None,
) -> None:
    """Log ``event_type`` for ``user``; nothing (no database access) when the pool's
    mode is OFF or there is no user to log it for."""
    if user is None or not active(pool):
        return
    if risk is None:
        risk = Risk(compromised=take_compromised(pool.id, user.username))
    with ctx.db.transaction() as tx:
        new_event(tx, ctx, pool, user.username, event_type, response, risk)


def password_failed(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """A wrong password at sign-in (lockout's `failed`): a failed SignIn event."""
    if not active(pool):
        return
    failure = [{"ChallengeName": "Password", "ChallengeResponse": "Failure"}]
    with ctx.db.transaction() as tx:
        new_event(tx, ctx, pool, user.username, SIGN_IN, FAIL, None, failure)


def forget_user(tx: Transaction, pool_id: str, username: str) -> None:
    """Drop a deleted user's events and pending risk (a new user of the name starts clean)."""
    for table in ("cognito_auth_events", "cognito_risk_overrides"):
        tx.execute(f"DELETE FROM {table} WHERE pool_id = ? AND username = ?", (pool_id, username))


# ---- operations -------------------------------------------------------------------------


def _watched_pool(tx: Transaction, ctx: RequestContext, pool_id: str) -> StoredPool:
    pool = load_pool(tx, ctx, pool_id)
    if not active(pool):
        raise AwsError("UserPoolAddOnNotEnabledException", ADD_ONS_OFF)
    return pool


def _user(tx: Transaction, pool: StoredPool, name: str) -> StoredUser:
    user = find_user(tx, pool, name)
    if user is None:
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    return user


def _event_of(row: tuple[Any, ...]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row[2])
    event = {"EventId": row[0], "EventType": data.pop("EventType"), "CreationDate": row[1]}
    event.update(data)
    return event


@local_only
def admin_list_user_auth_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The user's events, newest first, a page at a time."""
    limit = int(params.get("MaxResults") or 0) or DEFAULT_PAGE
    token = params.get("NextToken")
    with ctx.db.transaction(readonly=True) as tx:
        pool = _watched_pool(tx, ctx, params["UserPoolId"])
        user = _user(tx, pool, params["Username"])
        sql = (
            "SELECT event_id, created_at, data FROM cognito_auth_events "
            "WHERE pool_id = ? AND username = ?"
        )
        args: list[Any] = [pool.id, user.username]
        if token is not None:
            before, before_id = decode_token(token, "InvalidParameterException", 2)
            sql += " AND (created_at < ? OR (created_at = ? AND event_id < ?))"
            args += [before, before, before_id]
        sql += " ORDER BY created_at DESC, event_id DESC LIMIT ?"
        rows = tx.fetchall(sql, [*args, limit + 1])
    answer: dict[str, Any] = {"AuthEvents": [_event_of(tuple(row)) for row in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        answer["NextToken"] = encode_token([float(last[1]), str(last[0])])
    return answer


def _give_feedback(
    tx: Transaction,
    ctx: RequestContext,
    pool: StoredPool,
    username: str,
    params: dict[str, Any],
    provider: str,
) -> None:
    event_id = params["EventId"]
    row = tx.fetchone(
        "SELECT feedback_token, data FROM cognito_auth_events "
        "WHERE pool_id = ? AND event_id = ? AND username = ?",
        (pool.id, event_id, username),
    )
    if row is None:
        raise AwsError("ResourceNotFoundException", EVENT_NOT_FOUND.format(event_id=event_id))
    if provider != "Admin" and not secrets.compare_digest(
        str(row[0]), str(params.get("FeedbackToken"))
    ):
        raise AwsError("NotAuthorizedException", BAD_FEEDBACK_TOKEN)
    feedback = {
        "FeedbackValue": params["FeedbackValue"],
        "Provider": provider,
        "FeedbackDate": ctx.clock.now().timestamp(),
    }
    update_event(tx, pool.id, event_id, EventFeedback=feedback)


def admin_update_auth_event_feedback(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # EventFeedbackType Provider: "if you submit event feedback in the Amazon Cognito
    # console, this value is Admin" [model]; poolmail says Admin for the admin API too.
    with ctx.db.transaction() as tx:
        pool = _watched_pool(tx, ctx, params["UserPoolId"])
        user = _user(tx, pool, params["Username"])
        _give_feedback(tx, ctx, pool, user.username, params, "Admin")
    return {}


def pool_scope(ctx: RequestContext, pool_id: str) -> RequestContext:
    """An unsigned call's context in the account that owns ``pool_id`` (public calls name
    the pool, not the account)."""
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone("SELECT account, region FROM user_pools WHERE id = ?", (pool_id,))
    if row is None:
        raise not_found(pool_id)
    return dataclasses.replace(ctx, account_id=str(row[0]), region=str(row[1]))


def update_auth_event_feedback(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The user's own feedback, from the links of a notification mail: the event's
    FeedbackToken proves it. Provider "User" (not found: AWS's value for it)."""
    if not ctx.signed:
        ctx = pool_scope(ctx, params["UserPoolId"])
    with ctx.db.transaction() as tx:
        pool = _watched_pool(tx, ctx, params["UserPoolId"])
        user = _user(tx, pool, params["Username"])
        _give_feedback(tx, ctx, pool, user.username, params, "User")
    return {}


OPERATIONS: dict[str, Handler] = {
    "AdminListUserAuthEvents": admin_list_user_auth_events,
    "AdminUpdateAuthEventFeedback": admin_update_auth_event_feedback,
    "UpdateAuthEventFeedback": update_auth_event_feedback,
}
