"""Deleting a user (AdminDeleteUser, DeleteUser): the user's row and everything kept for
them elsewhere — codes, groups, sign-ins, devices, passkeys, password failures — so a new
user of the same name starts clean."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.continuity import user_history
from poolmail.cognito.oauth import codes as oauth_codes
from poolmail.cognito.oauth import hosted_sessions
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.signin import devices, lockout, passkeys, sessions
from poolmail.cognito.threats import risk_events
from poolmail.cognito.users import codes, groups, search_index
from poolmail.cognito.users.users import StoredUser, require_user, users_lock
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.store import Transaction


def remove_user(tx: Transaction, pool_id: str, user: StoredUser, now: float) -> None:
    # The row as it was, for point-in-time recovery, when the pool is tracked.
    user_history.remember(tx, pool_id, user.username, now, deleted=True)
    tx.execute("DELETE FROM users WHERE pool_id = ? AND username = ?", (pool_id, user.username))
    search_index.refresh_user(tx, pool_id, user.username)
    codes.forget_user(tx, pool_id, user.username)
    lockout.forget_user(tx, pool_id, user.username)
    risk_events.forget_user(tx, pool_id, user.username)
    groups.forget_user(tx, pool_id, user.sub)
    sessions.forget_user(tx, pool_id, user.sub)
    devices.forget_user(tx, pool_id, user.sub)
    passkeys.forget_user(tx, pool_id, user.sub)
    oauth_codes.forget_user(tx, pool_id, user.sub)
    hosted_sessions.end_for_user(tx, pool_id, user.sub)


def admin_delete_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        user = require_user(tx, load_pool(tx, ctx, pool_id), params["Username"])
        remove_user(tx, pool_id, user, ctx.clock.now().timestamp())
    return {}


def delete_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
        remove_user(tx, caller.pool.id, caller.user, ctx.clock.now().timestamp())
    return {}


OPERATIONS: dict[str, Handler] = {
    "AdminDeleteUser": admin_delete_user,
    "DeleteUser": delete_user,
}
