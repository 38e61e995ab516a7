"""Signing out everywhere: GlobalSignOut and AdminUserGlobalSignOut end every sign-in of
the user, their refresh tokens and the access tokens issued before."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin.sessions import authorize
from poolmail.cognito.users.users import StoredUser, require_user, save_user, users_lock
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.store import Transaction


def sign_out_everywhere(tx: Transaction, pool: StoredPool, user: StoredUser, now: float) -> None:
    tx.execute(
        "UPDATE cognito_refresh_tokens SET revoked_at = ? "
        "WHERE pool_id = ? AND sub = ? AND revoked_at IS NULL",
        (now, pool.id, user.sub),
    )
    user.data["signed_out_at"] = now
    save_user(tx, pool, user, now)


# ---- operations -------------------------------------------------------------------------


def global_sign_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = authorize(ctx, params["AccessToken"])
    with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
        user = require_user(tx, caller.pool, caller.user.username)
        sign_out_everywhere(tx, caller.pool, user, ctx.clock.now().timestamp())
    return {}


def admin_user_global_sign_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        sign_out_everywhere(tx, pool, user, ctx.clock.now().timestamp())
    return {}


OPERATIONS: dict[str, Handler] = {
    "GlobalSignOut": global_sign_out,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
}
