"""User pools: create, describe, list, delete, with the settings AWS fills in by default."""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.schema import pool_schema
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

_ID_ALPHABET = string.ascii_letters + string.digits

DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

# Members of CreateUserPool's input that DescribeUserPool returns as they were given.
_KEPT_AS_GIVEN = (
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "SmsAuthenticationMessage",
    "DeviceConfiguration",
    "SmsConfiguration",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserAttributeUpdateSettings",
)


def new_pool_id(region: str) -> str:
    return f"{region}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


def pool_arn(region: str, account: str, pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"


def not_found(pool_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")


def _password_policy(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None:
        return dict(DEFAULT_PASSWORD_POLICY)
    # A policy given in part leaves the unnamed requirements off, as AWS does.
    policy: dict[str, Any] = {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }
    policy.update(given)
    return policy


def settings_from_create(params: dict[str, Any]) -> dict[str, Any]:
    """The stored settings of a new pool: the request, with AWS's defaults filled in."""
    policies = params.get("Policies") or {}
    settings: dict[str, Any] = {
        "Policies": {
            "PasswordPolicy": _password_policy(policies.get("PasswordPolicy")),
            "SignInPolicy": policies.get("SignInPolicy")
            or {"AllowedFirstAuthFactors": ["PASSWORD"]},
        },
        "DeletionProtection": params.get("DeletionProtection", "INACTIVE"),
        "LambdaConfig": {},
        "SchemaAttributes": pool_schema(params.get("Schema")),
        "VerificationMessageTemplate": params.get("VerificationMessageTemplate")
        or {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "MfaConfiguration": params.get("MfaConfiguration", "OFF"),
        "EmailConfiguration": params.get("EmailConfiguration")
        or {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "UserPoolTags": params.get("UserPoolTags") or {},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": False,
            "UnusedAccountValidityDays": 7,
            **(params.get("AdminCreateUserConfig") or {}),
        },
        # Pools created since November 2024 start on the Essentials feature plan.
        "UserPoolTier": params.get("UserPoolTier", "ESSENTIALS"),
    }
    for key in _KEPT_AS_GIVEN:
        if key in params:
            settings[key] = params[key]
    return settings


def create_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    settings = settings_from_create(params)
    pool_id = new_pool_id(ctx.region)
    with ctx.db.transaction() as tx:
        tx.execute(
            "INSERT INTO user_pools (id, account, region, name, created_at, modified_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                pool_id,
                ctx.account_id,
                ctx.region,
                params["PoolName"],
                now,
                now,
                json.dumps(settings),
            ),
        )
    return {"UserPool": _describe(pool_id, ctx, params["PoolName"], now, now, settings)}


def _describe(
    pool_id: str,
    ctx: RequestContext,
    name: str,
    created: float,
    modified: float,
    settings: dict[str, Any],
) -> dict[str, Any]:
    return {
        "Id": pool_id,
        "Name": name,
        **settings,
        "LastModifiedDate": modified,
        "CreationDate": created,
        "EstimatedNumberOfUsers": 0,
        "Arn": pool_arn(ctx.region, ctx.account_id, pool_id),
    }


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
        raise not_found(pool_id)
    return StoredPool(pool_id, str(row[0]), float(row[1]), float(row[2]), json.loads(row[3]))


def describe_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, pool_id)
    return {
        "UserPool": _describe(pool_id, ctx, pool.name, pool.created, pool.modified, pool.settings)
    }


def list_user_pools(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = params["MaxResults"]
    sql = (
        "SELECT id, name, created_at, modified_at, data FROM user_pools "
        "WHERE account = ? AND region = ?"
    )
    args: list[Any] = [ctx.account_id, ctx.region]
    if "NextToken" in params:
        after_created, after_id = decode_token(params["NextToken"], "InvalidParameterException", 2)
        sql += " AND (created_at > ? OR (created_at = ? AND id > ?))"
        args += [after_created, after_created, after_id]
    sql += " ORDER BY created_at, id LIMIT ?"
    args.append(limit + 1)
    with ctx.db.transaction() as tx:
        rows = tx.fetchall(sql, args)
    pools = []
    for pool_id, name, created, modified, data in rows[:limit]:
        pools.append(
            {
                "Id": pool_id,
                "Name": name,
                "LambdaConfig": json.loads(data).get("LambdaConfig", {}),
                "LastModifiedDate": float(modified),
                "CreationDate": float(created),
            }
        )
    result: dict[str, Any] = {"UserPools": pools}
    if len(rows) > limit:
        last = rows[limit - 1]
        result["NextToken"] = encode_token([float(last[2]), last[0]])
    return result


def delete_user_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        if load_pool(tx, ctx, pool_id).settings.get("DeletionProtection") == "ACTIVE":
            raise AwsError(
                "InvalidParameterException",
                "The user pool cannot be deleted because deletion protection is activated.",
            )
        tx.execute("DELETE FROM user_pools WHERE id = ?", (pool_id,))
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateUserPool": create_user_pool,
    "DescribeUserPool": describe_user_pool,
    "ListUserPools": list_user_pools,
    "DeleteUserPool": delete_user_pool,
}
