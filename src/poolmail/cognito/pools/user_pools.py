"""User pools: create, describe, list, update, delete, and their tags.

Settings live in the pool's JSON ``data`` keyed by AWS member names (``pool_updates``
builds them); ``load_pool`` is the one way other modules read a pool.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.imports.in_progress import check_no_import_running
from poolmail.cognito.messaging import email_config, sms_config
from poolmail.cognito.mfa.rules import check_pool_mfa
from poolmail.cognito.pools import pool_updates, tiers
from poolmail.cognito.pools.sign_in_policy import check_sign_in_policy
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.protocol.wire import KeptResult
from poolmail.store import Transaction

_ID_ALPHABET = string.ascii_letters + string.digits
_POOL_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:cognito-idp:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"userpool/(?P<pool>[\w-]+_[0-9a-zA-Z]+)"
)


def new_pool_id(region: str) -> str:
    return f"{region}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


def pool_arn(region: str, account: str, pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"


def not_found(pool_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")


@dataclass(slots=True)
class StoredPool:
    id: str
    name: str
    created: float
    modified: float
    settings: dict[str, Any]


def load_pool(tx: Transaction, ctx: RequestContext, pool_id: str) -> StoredPool:
    """A pool of the caller's account and region, or ResourceNotFoundException."""
    row = tx.fetchone(
        "SELECT name, created_at, modified_at, data FROM user_pools "
        "WHERE id = ? AND account = ? AND region = ?",
        (pool_id, ctx.account_id, ctx.region),
    )
    if row is None:
        # A pool of another region may have its secondary replica here (replicas.py); the
        # import waits for this rare path, as replicas imports this module.
        from poolmail.cognito.continuity.replicas import serve_replica

        return serve_replica(tx, ctx, pool_id)
    settings = fast_json.loads(row[3])
    return StoredPool(pool_id, str(row[0]), float(row[1]), float(row[2]), settings)


def save_pool(tx: Transaction, pool: StoredPool) -> None:
    tx.execute(
        "UPDATE user_pools SET name = ?, modified_at = ?, data = ? WHERE id = ?",
        (pool.name, pool.modified, json.dumps(pool.settings), pool.id),
    )


def _describe_stored(tx: Transaction, ctx: RequestContext, pool: StoredPool) -> dict[str, Any]:
    # domains imports this module (load_pool); importing it here keeps the cycle out of
    # module import time.
    from poolmail.cognito.pools.domains import describe_members

    row = tx.fetchone("SELECT users FROM user_pool_sizes WHERE pool_id = ?", (pool.id,))
    users = int(row[0]) if row is not None else 0
    return _describe(ctx, pool, users, describe_members(tx, pool.id))


def _describe(
    ctx: RequestContext, pool: StoredPool, users: int, domains: dict[str, str]
) -> dict[str, Any]:
    return {
        "Id": pool.id,
        "Name": pool.name,
        **pool.settings,
        **domains,
        "LastModifiedDate": pool.modified,
        "CreationDate": pool.created,
        "EstimatedNumberOfUsers": users,
        "Arn": pool_arn(ctx.region, ctx.account_id, pool.id),
    }


def _checked_email(
    tx: Transaction, ctx: RequestContext, pool_id: str, settings: dict[str, Any]
) -> None:
    # Every request that carries EmailConfiguration is checked again, even a rename
    # that resends the configuration unchanged (AWS_FACTS §1, classmethod 2025).
    arn = pool_arn(ctx.region, ctx.account_id, pool_id)
    settings["EmailConfiguration"] = email_config.validate(
        tx, ctx, arn, settings["EmailConfiguration"]
    )


# The members whose values MFA's rules tie together. Choice: UpdateUserPool checks those
# rules when it names one of them; an update that names none leaves MFA as it was, even
# where the omission rule resets SmsConfiguration (AWS's answer to that case: not found).
_MFA_MEMBERS = (
    "MfaConfiguration",
    "SmsConfiguration",
    "EmailConfiguration",
    "AccountRecoverySetting",
    "UserPoolTier",
)


def _check_triggers(settings: dict[str, Any]) -> None:
    # Imported here: the triggers read pools through this module.
    from poolmail.cognito.triggers import custom_senders

    custom_senders.check_config(settings)


def create_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    settings = pool_updates.settings_for_create(params)
    sms_config.check(ctx, params.get("SmsConfiguration"))
    mode = (params.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode")
    if params.get("UserPoolTier") is None and mode in ("AUDIT", "ENFORCED"):
        # "your user pool tier must be PLUS and default to PLUS when not specified"
        # (cognito-sign-in-feature-plans.html).
        settings["UserPoolTier"] = tiers.PLUS
    tiers.check_plan(settings)
    check_pool_mfa(settings)
    check_sign_in_policy(settings)
    _check_triggers(settings)
    pool = StoredPool(new_pool_id(ctx.region), params["PoolName"], now, now, settings)
    with ctx.db.transaction() as tx:
        if params.get("EmailConfiguration") is not None:
            _checked_email(tx, ctx, pool.id, settings)
        tx.execute(
            "INSERT INTO user_pools (id, account, region, name, created_at, modified_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (pool.id, ctx.account_id, ctx.region, pool.name, now, now, json.dumps(settings)),
        )
        return {"UserPool": _describe_stored(tx, ctx, pool)}


# DescribeUserPool's answers, kept with the stored values they were made from: a pool
# read again unchanged is answered without decoding its settings or writing its JSON again
# (about a third of the request's CPU). Whatever changes the answer changes those values,
# whoever wrote it (another replica on PostgreSQL too), so one read decides; pools with a
# domain are read in full. Bounded: the oldest entry goes first.
_DESCRIBED: dict[tuple[str, str, str], tuple[tuple[Any, ...], KeptResult]] = {}
_DESCRIBED_MAX = 128
_DESCRIBED_LOCK = threading.Lock()

_DESCRIBE_ROW = (
    "SELECT p.name, p.created_at, p.modified_at, p.data, "
    "(SELECT s.users FROM user_pool_sizes s WHERE s.pool_id = p.id), "
    "EXISTS (SELECT 1 FROM user_pool_domains d WHERE d.pool_id = p.id) "
    "FROM user_pools p WHERE p.id = ? AND p.account = ? AND p.region = ?"
)


@local_only
def describe_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(_DESCRIBE_ROW, (pool_id, ctx.account_id, ctx.region))
        if row is None:
            return {"UserPool": _describe_stored(tx, ctx, load_pool(tx, ctx, pool_id))}
        stored = tuple(row[:5])
        if row[5]:
            from poolmail.cognito.pools.domains import describe_members  # imports this module

            return {"UserPool": _answer(ctx, pool_id, stored, describe_members(tx, pool_id))}
    key = (ctx.account_id, ctx.region, pool_id)
    kept = _DESCRIBED.get(key)
    if kept is not None and kept[0] == stored:
        return kept[1]
    result = KeptResult({"UserPool": _answer(ctx, pool_id, stored, {})})
    with _DESCRIBED_LOCK:  # worker threads (PostgreSQL) share it
        _DESCRIBED.pop(key, None)
        if len(_DESCRIBED) >= _DESCRIBED_MAX:
            del _DESCRIBED[next(iter(_DESCRIBED))]
        _DESCRIBED[key] = (stored, result)
    return result


def _answer(
    ctx: RequestContext, pool_id: str, stored: tuple[Any, ...], domains: dict[str, str]
) -> dict[str, Any]:
    name, created, modified, data, users = stored
    pool = StoredPool(pool_id, str(name), float(created), float(modified), fast_json.loads(data))
    return _describe(ctx, pool, int(users or 0), domains)


def update_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        check_no_import_running(tx, pool.id)
        pool.settings = pool_updates.settings_for_update(pool.settings, params)
        sms_config.check(ctx, params.get("SmsConfiguration"))
        tiers.check_plan(pool.settings)
        if any(params.get(member) is not None for member in _MFA_MEMBERS):
            check_pool_mfa(pool.settings)
        check_sign_in_policy(pool.settings)
        _check_triggers(pool.settings)
        if params.get("EmailConfiguration") is not None:
            _checked_email(tx, ctx, pool.id, pool.settings)
        pool.name = params.get("PoolName") or pool.name
        pool.modified = ctx.clock.now().timestamp()
        save_pool(tx, pool)
    return {}


@local_only
def list_user_pools(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = params["MaxResults"]
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT id, created_at, name, modified_at, data FROM user_pools "
            "WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="id",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=limit,
        )
        # replicas imports this module (load_pool): imported here, not at module import.
        from poolmail.cognito.continuity.replicas import replica_regions

        replicated = replica_regions(tx, ctx)
    pools = [
        {
            "Id": pool_id,
            "Name": name,
            "LambdaConfig": fast_json.loads(data).get("LambdaConfig", {}),
            "LastModifiedDate": float(modified),
            "CreationDate": float(created),
            "ReplicaRegions": replicated.get(pool_id),
        }
        for pool_id, created, name, modified, data in rows
    ]
    result: dict[str, Any] = {"UserPools": pools}
    if token:
        result["NextToken"] = token
    return result


# Everything that belongs to one pool, removed with it.
_POOL_TABLES = (
    "users",
    "cognito_user_search",
    "user_pool_clients",
    "user_codes",
    "user_attempts",
    "cognito_signing_keys",
    "cognito_auth_sessions",
    "cognito_refresh_tokens",
    "cognito_groups",
    "cognito_group_members",
    "cognito_terms",
    "cognito_managed_login_branding",
    "cognito_devices",
    "cognito_webauthn_credentials",
    "cognito_password_failures",
    "cognito_import_jobs",
    "cognito_import_log",
    "cognito_risk_configurations",
    "cognito_auth_events",
    "cognito_risk_overrides",
    "cognito_user_pool_replicas",
    "cognito_pitr_tracking",
    "cognito_user_history",
    "cognito_group_member_history",
    "cognito_pitr_restorations",
    "cognito_cimd_policies",
    "cognito_cimd_urls",
    "cognito_cimd_documents",
    "cognito_oauth_codes",
    "cognito_hosted_sessions",
    "cognito_resource_servers",
    "cognito_ui_customizations",
    "cognito_identity_providers",
    "cognito_idp_identifiers",
    "cognito_provider_links",
    "user_pool_sizes",  # after `users`, whose deletion counts down to zero
)


def delete_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        if load_pool(tx, ctx, pool_id).settings.get("DeletionProtection") == "ACTIVE":
            raise AwsError(
                "InvalidParameterException",
                "The user pool cannot be deleted because deletion protection is activated.",
            )
        check_no_import_running(tx, pool_id)
        # AWS quirk: a pool with a domain is not deleted with it; the domain goes first
        # (terraform-provider-aws#16479, rebuy-de/aws-nuke#330).
        if tx.fetchone("SELECT 1 FROM user_pool_domains WHERE pool_id = ?", (pool_id,)):
            raise AwsError(
                "InvalidParameterException",
                "User pool cannot be deleted. It has a domain configured that should be "
                "deleted first.",
            )
        for table in _POOL_TABLES:
            tx.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))
        tx.execute("DELETE FROM user_pools WHERE id = ?", (pool_id,))
    return {}


# --- tags: UserPoolTags, also reached through the pool's ARN ------------------------------


def _tagged_pool(tx: Transaction, ctx: RequestContext, arn: str) -> StoredPool:
    match = _POOL_ARN.fullmatch(arn)
    if match is None:
        # Choice: AWS's text for an ARN that names no user pool was not found; the
        # parameter error says what the operation expects.
        raise AwsError("InvalidParameterException", f"Invalid resource ARN: {arn}")
    if (match["region"], match["account"]) != (ctx.region, ctx.account_id):
        raise not_found(match["pool"])
    return load_pool(tx, ctx, match["pool"])


def _replica_tags(
    tx: Transaction,
    ctx: RequestContext,
    arn: str,
    add: dict[str, str] | None = None,
    remove: frozenset[str] = frozenset(),
) -> dict[str, str] | None:
    """The own tags of the secondary replica the ARN names in this region, if it does."""
    match = _POOL_ARN.fullmatch(arn)
    if match is None or (match["region"], match["account"]) != (ctx.region, ctx.account_id):
        return None
    from poolmail.cognito.continuity.replicas import replica_tags

    return replica_tags(tx, ctx, match["pool"], add, remove)


def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        if _replica_tags(tx, ctx, params["ResourceArn"], add=params["Tags"]) is not None:
            return {}
        pool = _tagged_pool(tx, ctx, params["ResourceArn"])
        pool.settings["UserPoolTags"] = {**pool.settings.get("UserPoolTags", {}), **params["Tags"]}
        save_pool(tx, pool)
    return {}


def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        removed = frozenset(params["TagKeys"])
        if _replica_tags(tx, ctx, params["ResourceArn"], remove=removed) is not None:
            return {}
        pool = _tagged_pool(tx, ctx, params["ResourceArn"])
        tags = pool.settings.get("UserPoolTags", {})
        pool.settings["UserPoolTags"] = {
            key: value for key, value in tags.items() if key not in set(params["TagKeys"])
        }
        save_pool(tx, pool)
    return {}


@local_only
def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        replica = _replica_tags(tx, ctx, params["ResourceArn"])
        if replica is not None:
            return {"Tags": replica}
        pool = _tagged_pool(tx, ctx, params["ResourceArn"])
    return {"Tags": dict(pool.settings.get("UserPoolTags", {}))}


OPERATIONS: dict[str, Handler] = {
    "CreateUserPool": create_user_pool,
    "DescribeUserPool": describe_user_pool,
    "ListUserPools": list_user_pools,
    "UpdateUserPool": update_user_pool,
    "DeleteUserPool": delete_user_pool,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
