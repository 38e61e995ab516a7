"""Point-in-time recovery: restore a pool's users to their state at a past moment.

AWS reverts "changes to user data that occurred after" the recovery point
[model InitiatePointInTimeRecovery]. poolmail restores from its own history: for a
tracked pool (user_history.py; poolmail's admin API turns it on) every users row an
update replaces or a deletion removes is kept with the time it stopped being current, so
the pool's users at any moment since tracking began can be rebuilt.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from poolmail.cognito.continuity import replicas, restorations
from poolmail.cognito.continuity.restorations import (
    CANCELLED,
    GENERATED,
    GENERATING,
    RESTORING,
    Restoration,
)
from poolmail.cognito.continuity.user_history import ROW_COLUMNS as _ROW
from poolmail.cognito.continuity.user_history import remember, restore_groups, tracked_since
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.users import search_index
from poolmail.cognito.users.user_removal import remove_user
from poolmail.cognito.users.users import find_user
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

DAY = 86400.0
# "The recovery point must be at least 15 minutes in the past"; "up to 1 day in the past
# with the Essentials feature plan, or up to 14 days in the past with the Plus feature
# plan" [model InitiatePointInTimeRecovery RestoreTimestamp].
MIN_AGE_SECONDS = 15 * 60.0
WINDOW_SECONDS = {tiers.ESSENTIALS: DAY, tiers.PLUS: 14 * DAY}
# Limits [model InitiatePointInTimeRecovery]: active recoveries per account; previews
# per pool and per account in 24 hours, per pool in 30 days; completed recoveries per
# pool in 24 hours.
MAX_ACTIVE_PER_ACCOUNT = 5
MAX_PREVIEWS_POOL_DAY = 3
MAX_PREVIEWS_ACCOUNT_DAY = 10
MAX_PREVIEWS_POOL_30_DAYS = 10

# "Users who changed their password after the recovery point keep their current
# password" [model]: these keys of the row's data stay as they are now.
_PASSWORD_KEYS = ("password", "srp", "temporary_password_expires_at")


# --- the plan: what a restore to a moment changes -------------------------------------------


def _plan(
    tx: Transaction, pool_id: str, point: float
) -> dict[str, tuple[str, tuple[Any, ...] | None]]:
    """username -> ("create" | "update" | "delete", the row at ``point`` or None)."""
    then: dict[str, tuple[Any, ...]] = {}
    for row in tx.fetchall(
        f"SELECT {_ROW} FROM cognito_user_history WHERE pool_id = ? AND replaced_at > ? "
        "ORDER BY replaced_at",
        (pool_id, point),
    ):
        # The first version replaced after the point is the one current at the point.
        then.setdefault(str(row[0]), tuple(row))
    current = {
        str(row[0]): tuple(row)
        for row in tx.fetchall(f"SELECT {_ROW} FROM users WHERE pool_id = ?", (pool_id,))
    }
    plan: dict[str, tuple[str, tuple[Any, ...] | None]] = {}
    for username in {*then, *current}:
        if username in then:
            at_point = then[username] if float(then[username][7]) <= point else None
        else:
            row = current[username]
            at_point = row if float(row[7]) <= point else None
        now_row = current.get(username)
        if at_point is not None and now_row is None:
            plan[username] = ("create", at_point)
        elif at_point is None and now_row is not None:
            plan[username] = ("delete", None)
        elif at_point is not None and username in then:
            plan[username] = ("update", at_point)
    return plan


def _preview(plan: dict[str, tuple[str, tuple[Any, ...] | None]]) -> list[dict[str, Any]]:
    actions = [action for action, _ in plan.values()]
    # Choice: poolmail restores users rows (profiles, attributes, passwords, MFA settings
    # kept on the user), so its preview has the one entity "Users".
    return [
        {
            "Entity": "Users",
            "CreateCount": actions.count("create"),
            "UpdateCount": actions.count("update"),
            "DeleteCount": actions.count("delete"),
        }
    ]


def _apply(tx: Transaction, pool: StoredPool, point: float, now: float) -> None:
    pool_id = pool.id
    for username, (action, row) in sorted(_plan(tx, pool_id, point).items()):
        if action == "delete":
            # As AdminDeleteUser deletes: with the user's codes, sessions, devices.
            user = find_user(tx, pool, username)
            if user is not None:
                remove_user(tx, pool_id, user, now)
            continue
        assert row is not None
        if action == "update":
            kept = tx.fetchone(
                "SELECT data FROM users WHERE pool_id = ? AND username = ?", (pool_id, username)
            )
            data = json.loads(row[9])
            current = json.loads(kept[0]) if kept is not None else {}
            for key in _PASSWORD_KEYS:
                data.pop(key, None)
                if key in current:
                    data[key] = current[key]
            remember(tx, pool_id, username, now, deleted=True)
            tx.execute("DELETE FROM users WHERE pool_id = ? AND username = ?", (pool_id, username))
            row = (*row[:9], json.dumps(data))
        tx.execute(
            f"INSERT INTO users (pool_id, {_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pool_id, *row),
        )
        search_index.refresh_user(tx, pool_id, username)
        if action == "create":
            restore_groups(tx, pool_id, str(row[1]), point)


# --- operations -----------------------------------------------------------------------------


def _seconds(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def _check_point(
    tx: Transaction, ctx: RequestContext, pool: StoredPool, point: float, now: float
) -> None:
    tier = tiers.tier_of(pool.settings)
    # "Your user pool must be on the Essentials or Plus feature plan" [model].
    tiers.require(pool.settings, tiers.ESSENTIALS, "Point-in-time recovery")
    if point > now - MIN_AGE_SECONDS:
        raise AwsError(
            "InvalidParameterException",
            "The recovery point must be at least 15 minutes in the past.",
        )
    if point < now - WINDOW_SECONDS[tier]:
        days = int(WINDOW_SECONDS[tier] // DAY)
        raise AwsError(
            "InvalidParameterException",
            f"The recovery point must be within {days} day{'s' if days > 1 else ''} in the "
            f"past with the {tier} feature plan.",
        )
    if point < pool.created:
        raise AwsError(
            "InvalidParameterException",
            "The recovery point can't be earlier than the creation time of the user pool.",
        )
    # "In a user pool with multi-Region replication, you can initiate a recovery only in
    # the primary Amazon Web Services Region [load_pool refuses the secondary], and only
    # after replication is complete" [model].
    if replicas.replicating(tx, ctx, pool.id):
        raise AwsError(
            "InvalidParameterException",
            "A recovery can be initiated only after the user pool's replication is complete.",
        )
    since = tracked_since(tx, pool.id)
    if since is None or point < since:
        # poolmail's own limit: it restores from the history it kept, so not from before.
        raise AwsError(
            "InvalidParameterException",
            f"poolmail keeps no user history of user pool {pool.id} at the recovery point; "
            "turn it on with POST /_poolmail/cognito/point-in-time-recovery.",
        )


def initiate_point_in_time_recovery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    point = _seconds(params["RestoreTimestamp"])
    with ctx.db.transaction(lock=restorations.LOCK) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _check_point(tx, ctx, pool, point, now)
        restorations.check_limits(tx, ctx, pool.id, now)
        restoration = Restoration(
            id=str(uuid.uuid4()),
            pool_id=pool.id,
            status=GENERATING,
            restore_at=point,
            created_at=now,
            status_at=now,
            preview=_preview(_plan(tx, pool.id, point)),
        )
        restorations.insert(tx, ctx, restoration)
    return {"Restoration": restoration.shape(now)}


def start_point_in_time_recovery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=restorations.LOCK) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        restoration = restorations.load(tx, pool.id, params["RestoreId"])
        status = restoration.status_at_time(now)
        if status != GENERATED:
            raise AwsError(
                "InvalidParameterException",
                f"Only a recovery in status {GENERATED} can be started; this recovery is {status}.",
            )
        # Choice: the users are restored at once, in this transaction; the recovery shows
        # RESTORING for restorations.RESTORE_SECONDS, then RESTORE_COMPLETED.
        _apply(tx, pool, restoration.restore_at, now)
        restorations.set_status(tx, restoration, RESTORING, now)
    return {"Restoration": restoration.shape(now)}


def cancel_point_in_time_recovery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=restorations.LOCK) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        restoration = restorations.load(tx, pool.id, params["RestoreId"])
        status = restoration.status_at_time(now)
        # "You can cancel a recovery when its status is PREVIEW_GENERATING or
        # PREVIEW_GENERATED" [model CancelPointInTimeRecovery].
        if status not in (GENERATING, GENERATED):
            raise AwsError(
                "InvalidParameterException",
                f"Only a recovery in status {GENERATING} or {GENERATED} can be cancelled; "
                f"this recovery is {status}.",
            )
        restorations.set_status(tx, restoration, CANCELLED, now)
    return {"Restoration": restoration.shape(now)}


def describe_point_in_time_recovery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        restoration = restorations.load(tx, pool.id, params["RestoreId"])
    return {"Restoration": restoration.shape(now)}


def list_point_in_time_recoveries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        page, token = restorations.page(
            tx, pool.id, params.get("MaxResults") or 60, params.get("NextToken")
        )
    result: dict[str, Any] = {"Restorations": [item.summary(now) for item in page]}
    if token is not None:
        result["NextToken"] = token
    return result


OPERATIONS: dict[str, Handler] = {
    "InitiatePointInTimeRecovery": initiate_point_in_time_recovery,
    "StartPointInTimeRecovery": start_point_in_time_recovery,
    "CancelPointInTimeRecovery": cancel_point_in_time_recovery,
    "DescribePointInTimeRecovery": describe_point_in_time_recovery,
    "ListPointInTimeRecoveries": list_point_in_time_recoveries,
}
