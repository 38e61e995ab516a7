"""A user's sessions: ListUserSessions, AdminListUserSessions, RevokeUserSession and
AdminRevokeUserSession, over the refresh-token store (one token session per sign-in,
sessions.py).

poolmail signs in through the API only, so every session is a token session (`tkn...`)
with no OriginSessionId; there are no SSO sessions to list or revoke.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import sessions
from poolmail.cognito.users.users import StoredUser, require_user
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# "Amazon Cognito returns all of a user's sessions in a single page of up to 125 sessions."
# (AdminListUserSessions [model]; SessionsListType max 125).
_PAGE = 125

# Not found: AWS's texts for a session the user does not have and for revoking one's own.
# Choice: Cognito's "... does not exist." style, and the model's own sentence.
SESSION_NOT_FOUND = "Session does not exist."
OWN_SESSION = "You can't revoke the session that the calling access token belongs to."
BAD_NEXT_TOKEN = "Invalid NextToken."


def _shape(session: sessions.Session, current: str | None) -> dict[str, Any]:
    # Not built: DeviceType, LastIPAddress and LastLocation come from the request's user
    # agent and address, which poolmail's request context does not carry; they are left out
    # (the model allows it: DeviceType "can be unknown", the location "can be null").
    last_active = session.data.get("last_active")
    return {
        "SessionId": sessions.session_id_of(session.origin_jti),
        "SessionType": "TOKEN",
        "ClientId": session.client_id,
        "CreateDate": session.created_at,
        # Choice: a session never refreshed was last active when it began.
        "LastActiveDate": float(last_active) if last_active is not None else session.created_at,
        "IsCurrentSession": session.origin_jti == current,
    }


def _list(
    ctx: RequestContext,
    tx: Transaction,
    pool: StoredPool,
    user: StoredUser,
    params: dict[str, Any],
    current: str | None,
) -> dict[str, Any]:
    if params.get("NextToken"):
        # poolmail answers in one page and never hands out a NextToken; any given one is
        # none of its own.
        raise AwsError("InvalidParameterException", BAD_NEXT_TOKEN)
    now = ctx.clock.now().timestamp()
    # Choice: newest first; past 125 sessions, the oldest are left out.
    found = sessions.active_sessions(tx, pool.id, user.sub, now)[:_PAGE]
    return {"Sessions": [_shape(session, current) for session in found]}


def _revoke(
    ctx: RequestContext,
    tx: Transaction,
    pool: StoredPool,
    user: StoredUser,
    params: dict[str, Any],
    current: str | None,
) -> None:
    """Revoke the user's session ``SessionId``: its refresh token and the access and ID
    tokens of its sign-in. `RevokeAssociatedSessions=LINKED` adds the SSO session a token
    session came through; poolmail's have none, so it revokes the same."""
    now = ctx.clock.now().timestamp()
    wanted = params["SessionId"]
    for session in sessions.active_sessions(tx, pool.id, user.sub, now):
        if sessions.session_id_of(session.origin_jti) != wanted:
            continue
        if session.origin_jti == current:
            raise AwsError("InvalidParameterException", OWN_SESSION)
        # Choice: the row stays, marked revoked, so its refresh token answers "Refresh Token
        # has been revoked" as after RevokeToken; listings no longer show it.
        sessions.revoke_session(tx, session.origin_jti, now)
        return
    # Another user's session, a revoked or expired one, an SSO id: none of this user's.
    raise AwsError("ResourceNotFoundException", SESSION_NOT_FOUND)


@local_only
def list_user_sessions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    # A token of a client without token revocation has no origin_jti: no session is marked
    # current then.
    current = caller.claims.get("origin_jti")
    with caller.ctx.db.transaction(readonly=True) as tx:
        return _list(caller.ctx, tx, caller.pool, caller.user, params, current)


@local_only
def admin_list_user_sessions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        user = require_user(tx, pool, params["Username"])
        # "This value is always false for the AdminListUserSessions operation" [model].
        return _list(ctx, tx, pool, user, params, None)


@local_only
def revoke_user_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    current = caller.claims.get("origin_jti")
    with caller.ctx.db.transaction() as tx:
        _revoke(caller.ctx, tx, caller.pool, caller.user, params, current)
    return {}


@local_only
def admin_revoke_user_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        # "The username must match the user associated with the SessionId" [model]: the
        # session is looked for among this user's only.
        user = require_user(tx, pool, params["Username"])
        _revoke(ctx, tx, pool, user, params, None)
    return {}


OPERATIONS: dict[str, Handler] = {
    "ListUserSessions": list_user_sessions,
    "AdminListUserSessions": admin_list_user_sessions,
    "RevokeUserSession": revoke_user_session,
    "AdminRevokeUserSession": admin_revoke_user_session,
}
