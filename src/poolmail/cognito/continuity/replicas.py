"""Multi-Region replication: a pool's secondary replica in another region of its account.

AWS keeps "separate user pools with a shared user pool ID", the primary the authority for
configuration and user writes, the secondary serving reads and, once ACTIVE, sign-in
(cognito/latest/developerguide/user-pool-multi-region.html). poolmail keeps one pool row
in the primary region and a replica row per secondary; ``serve_replica`` lets the
secondary region read that same row, so the replica shows the same users at once (AWS:
eventually consistent).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, not_found, pool_arn
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

CREATING = "CREATING"
ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
DELETING = "DELETING"

# Not found: how long AWS takes to create or delete a replica. Choice: a minute each,
# read from the clock when the replica is read (no background job needed), so a test
# moves past it with the test clock.
CREATE_SECONDS = 60.0
DELETE_SECONDS = 60.0

# "Each user directory can have at most one secondary replica in other Regions"
# (user-pool-multi-region.html, "Limitations").
MAX_SECONDARIES = 1

# What a secondary serves. INACTIVE: "not accepting requests for end-users. Administrator
# configuration operations are supported"; SECONDARY: "only administrator operations that
# set configurations specific to the replica, and only end-user operations that do not
# create or change attributes of a user" [model UserPoolReplicaType]. Choice: the reads
# below, and sign-in once ACTIVE; every write answers OperationNotEnabledException, also
# the regional settings AWS lets a replica keep (poolmail keeps one set per pool), but for
# the replica's own tags (replica_tags, reached by the replica's ARN).
_ADMIN_READS = frozenset(
    {
        "DescribeUserPool",
        "ListUsers",
        "AdminGetUser",
        "ListUserPoolClients",
        "DescribeUserPoolClient",
        "ListGroups",
        "GetGroup",
        "AdminListGroupsForUser",
        "ListUsersInGroup",
        "GetUserPoolMfaConfig",
        "ListIdentityProviders",
        "DescribeIdentityProvider",
        "GetIdentityProviderByIdentifier",
        "ListResourceServers",
        "DescribeResourceServer",
        "GetCSVHeader",
        "GetSigningCertificate",
        "GetUICustomization",
        "AdminListDevices",
        "AdminGetDevice",
        "ListUserPoolReplicas",
        "UpdateUserPoolReplica",
    }
)
_END_USER = frozenset(
    {
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "GetUser",
        "GetTokensFromRefreshToken",
        "RevokeToken",
    }
)

# Choice (texts not found): one place to correct them.
NOT_ENABLED = "This operation is not enabled in the secondary region of the user pool."
INACTIVE_REPLICA = "The user pool replica in this region is not active."


@cache
def _known_regions() -> frozenset[str]:
    # botocore.session loads the credential providers (and html.parser): imported at the
    # first replica request, so start-up stays without them (tests/test_cli.py).
    import botocore.session

    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cognito-idp", partition)
    )


def _effective(status: str, status_at: float, now: float) -> str | None:
    """The status a replica row shows at ``now``; None once a deletion has finished."""
    if status == CREATING and now >= status_at + CREATE_SECONDS:
        # "New secondary user pools start in the INACTIVE state" (user-pool-multi-region).
        return INACTIVE
    if status == DELETING and now >= status_at + DELETE_SECONDS:
        return None
    return status


def _replicas(tx: Transaction, ctx: RequestContext, pool_id: str) -> dict[str, str]:
    """The pool's secondaries as they stand now: region -> status."""
    now = ctx.clock.now().timestamp()
    rows = tx.fetchall(
        "SELECT region, status, status_at FROM cognito_user_pool_replicas WHERE pool_id = ? "
        "ORDER BY region",
        (pool_id,),
    )
    shown: dict[str, str] = {}
    for region, status, status_at in rows:
        current = _effective(str(status), float(status_at), now)
        if current is not None:
            shown[str(region)] = current
    return shown


def replicating(tx: Transaction, ctx: RequestContext, pool_id: str) -> bool:
    """Whether a secondary of the pool is still being created (its copy not complete)."""
    return CREATING in _replicas(tx, ctx, pool_id).values()


def replica_regions(tx: Transaction, ctx: RequestContext) -> dict[str, list[str]]:
    """The regions of the account's pools' secondaries, for ListUserPools's
    ReplicaRegions [model UserPoolDescriptionType]. Choice: secondaries only, the primary
    being the region listed in."""
    now = ctx.clock.now().timestamp()
    regions: dict[str, list[str]] = {}
    for pool_id, region, status, status_at in tx.fetchall(
        "SELECT pool_id, region, status, status_at FROM cognito_user_pool_replicas "
        "WHERE account = ? ORDER BY region",
        (ctx.account_id,),
    ):
        if _effective(str(status), float(status_at), now) is not None:
            regions.setdefault(str(pool_id), []).append(str(region))
    return regions


def _primary_region(tx: Transaction, pool_id: str) -> str:
    row = tx.fetchone("SELECT region FROM user_pools WHERE id = ?", (pool_id,))
    return "" if row is None else str(row[0])


def serve_replica(tx: Transaction, ctx: RequestContext, pool_id: str) -> StoredPool:
    """The pool ``pool_id`` as its secondary in ``ctx.region`` serves it, for load_pool when
    the pool is not in the caller's region; ResourceNotFoundException when no replica is."""
    row = tx.fetchone(
        "SELECT status, status_at FROM cognito_user_pool_replicas "
        "WHERE pool_id = ? AND region = ? AND account = ?",
        (pool_id, ctx.region, ctx.account_id),
    )
    if row is None:
        raise not_found(pool_id)
    status = _effective(str(row[0]), float(row[1]), ctx.clock.now().timestamp())
    if status not in (ACTIVE, INACTIVE):
        # Choice: a replica still being created, or being deleted, serves nothing yet.
        raise not_found(pool_id)
    if ctx.operation in _END_USER:
        if status != ACTIVE:
            raise AwsError("OperationNotEnabledException", INACTIVE_REPLICA)
    elif ctx.operation not in _ADMIN_READS:
        raise AwsError("OperationNotEnabledException", NOT_ENABLED)
    primary = tx.fetchone(
        "SELECT name, created_at, modified_at, data FROM user_pools WHERE id = ?", (pool_id,)
    )
    if primary is None:
        raise not_found(pool_id)
    return StoredPool(
        pool_id, str(primary[0]), float(primary[1]), float(primary[2]), json.loads(primary[3])
    )


def replica_tags(
    tx: Transaction,
    ctx: RequestContext,
    pool_id: str,
    add: dict[str, str] | None = None,
    remove: frozenset[str] = frozenset(),
) -> dict[str, str] | None:
    """The own tags of the pool's secondary in ``ctx.region``, changed by ``add`` and
    ``remove``; None when the pool has no secondary here. "You can maintain tags
    independently on replica user pools" [model CreateUserPoolReplica]."""
    row = tx.fetchone(
        "SELECT status, status_at, data FROM cognito_user_pool_replicas "
        "WHERE pool_id = ? AND region = ? AND account = ?",
        (pool_id, ctx.region, ctx.account_id),
    )
    if row is None:
        return None
    if _effective(str(row[0]), float(row[1]), ctx.clock.now().timestamp()) not in (
        ACTIVE,
        INACTIVE,
    ):
        return None
    data = json.loads(row[2])
    tags = {**data.get("Tags", {}), **(add or {})}
    tags = {key: value for key, value in tags.items() if key not in remove}
    if add or remove:
        tx.execute(
            "UPDATE cognito_user_pool_replicas SET data = ? WHERE pool_id = ? AND region = ?",
            (json.dumps({**data, "Tags": tags}), pool_id, ctx.region),
        )
    return tags


def _entry(
    ctx: RequestContext, pool_id: str, region: str, status: str, role: str
) -> dict[str, Any]:
    return {
        "RegionName": region,
        "Status": status,
        "Role": role,
        "UserPoolArn": pool_arn(region, ctx.account_id, pool_id),
    }


def _in_primary(tx: Transaction, ctx: RequestContext, pool_id: str) -> StoredPool:
    """The pool, for an operation that "must be called from the primary Region"."""
    pool = load_pool(tx, ctx, pool_id)
    if _primary_region(tx, pool_id) != ctx.region:
        raise AwsError("OperationNotEnabledException", NOT_ENABLED)
    return pool


def create_user_pool_replica(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, region = params["UserPoolId"], params["RegionName"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        pool = _in_primary(tx, ctx, pool_id)
        # "requires your user pool to be on the Essentials or Plus feature plan"
        # (user-pool-multi-region.html, "Things to know").
        tiers.require(pool.settings, tiers.ESSENTIALS, "Multi-Region replication")
        if region not in _known_regions():
            raise AwsError("InvalidParameterException", f"Invalid region name: {region}")
        if region == ctx.region:
            raise AwsError(
                "InvalidParameterException",
                "The replica region must be different from the primary region of the user pool.",
            )
        existing = _replicas(tx, ctx, pool_id)
        if region in existing or len(existing) >= MAX_SECONDARIES:
            raise AwsError(
                "LimitExceededException",
                f"The user pool can have at most {MAX_SECONDARIES} secondary replica.",
            )
        tx.execute(
            "DELETE FROM cognito_user_pool_replicas WHERE pool_id = ? AND region = ?",
            (pool_id, region),
        )
        tags = params.get("UserPoolTags") or {}
        tx.execute(
            "INSERT INTO cognito_user_pool_replicas "
            "(pool_id, region, account, status, created_at, status_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (pool_id, region, ctx.account_id, CREATING, now, now, json.dumps({"Tags": tags})),
        )
    return {"UserPoolReplica": _entry(ctx, pool_id, region, CREATING, "SECONDARY")}


def _secondary_status(
    tx: Transaction, ctx: RequestContext, pool_id: str, region: str, primary: str
) -> str:
    if region == primary:
        raise AwsError(
            "InvalidParameterException",
            "The primary region of a user pool is not a replica that can be changed.",
        )
    status = _replicas(tx, ctx, pool_id).get(region)
    if status is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"User pool {pool_id} has no replica in region {region}.",
        )
    return status


def _set_status(tx: Transaction, pool_id: str, region: str, status: str, now: float) -> None:
    tx.execute(
        "UPDATE cognito_user_pool_replicas SET status = ?, status_at = ? "
        "WHERE pool_id = ? AND region = ?",
        (status, now, pool_id, region),
    )


def delete_user_pool_replica(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, region = params["UserPoolId"], params["RegionName"]
    with ctx.db.transaction() as tx:
        _in_primary(tx, ctx, pool_id)
        status = _secondary_status(tx, ctx, pool_id, region, ctx.region)
        # "You can only delete replicas that are in the INACTIVE status" [model].
        if status != INACTIVE:
            raise AwsError(
                "InvalidParameterException",
                f"Only an INACTIVE replica can be deleted; the replica in {region} is {status}.",
            )
        _set_status(tx, pool_id, region, DELETING, ctx.clock.now().timestamp())
    return {"UserPoolReplica": _entry(ctx, pool_id, region, DELETING, "SECONDARY")}


def update_user_pool_replica(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, region, wanted = params["UserPoolId"], params["RegionName"], params["Status"]
    with ctx.db.transaction() as tx:
        # "This request can be made in both primary and secondary regions" [model]:
        # load_pool serves it in the secondary through serve_replica.
        load_pool(tx, ctx, pool_id)
        status = _secondary_status(tx, ctx, pool_id, region, _primary_region(tx, pool_id))
        if status not in (ACTIVE, INACTIVE):
            raise AwsError(
                "InvalidParameterException",
                f"The replica in {region} is {status}; only an ACTIVE or INACTIVE replica "
                "can be updated.",
            )
        if wanted != status:
            _set_status(tx, pool_id, region, wanted, ctx.clock.now().timestamp())
    return {"UserPoolReplica": _entry(ctx, pool_id, region, wanted, "SECONDARY")}


def list_user_pool_replicas(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        primary = _primary_region(tx, pool_id)
        secondaries = _replicas(tx, ctx, pool_id)
    if params.get("NextToken") is not None:
        # Choice: the list (a primary and at most one secondary) is one page, so no token
        # poolmail hands out can come back.
        raise AwsError("InvalidParameterException", "Invalid pagination token.")
    # "Lists all replicas for a user pool, including both primary and secondary" [model].
    entries = [_entry(ctx, pool_id, primary, ACTIVE, "PRIMARY")]
    entries += [
        _entry(ctx, pool_id, region, status, "SECONDARY") for region, status in secondaries.items()
    ]
    return {"UserPoolReplicas": entries}


OPERATIONS: dict[str, Handler] = {
    "CreateUserPoolReplica": create_user_pool_replica,
    "DeleteUserPoolReplica": delete_user_pool_replica,
    "ListUserPoolReplicas": list_user_pool_replicas,
    "UpdateUserPoolReplica": update_user_pool_replica,
}
