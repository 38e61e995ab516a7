"""SES v2 tenants: CreateTenant, GetTenant, DeleteTenant, ListTenants and
PutTenantSuppressionAttributes.

A tenant's SendingStatus is its reputation entity's aggregate status
(ses/account/reputation_entities.py), so it is derived when read, never stored.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import reputation_entities
from poolmail.ses.account.tags import check_tags
from poolmail.ses.contacts.lists import page_size
from poolmail.store import Transaction

# "The name can contain up to 64 alphanumeric characters, including letters, numbers,
# hyphens (-) and underscores (_) only." [model TenantName]
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Choice: AWS's tenant quota was not found; poolmail allows 10,000 tenants a Region, as
# it allows configuration sets.
MAX_TENANTS = 10_000
SENDING_STATUSES = ("ENABLED", "REINSTATED", "DISABLED")


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    tenant_id: str
    arn: str
    created_at: float
    data: dict[str, Any]


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def missing(name: str) -> AwsError:
    # Choice: AWS's text was not found; it follows the configuration sets' wording.
    return AwsError("NotFoundException", f"Tenant <{name}> does not exist.")


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise _bad(
            f"Tenant name {name} is invalid: it can contain up to 64 alphanumeric "
            "characters, hyphens (-) and underscores (_) only."
        )


def arn_of(region: str, account: str, arn_path: str) -> str:
    return f"arn:aws:ses:{region}:{account}:tenant/{arn_path}"


def load(tx: Transaction, account: str, region: str, name: str) -> Tenant | None:
    row = tx.fetchone(
        "SELECT tenant_id, arn_path, created_at, data FROM ses_tenants "
        "WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    if row is None:
        return None
    return Tenant(
        name, str(row[0]), arn_of(region, account, str(row[1])), float(row[2]), json.loads(row[3])
    )


def require(tx: Transaction, account: str, region: str, name: str) -> Tenant:
    found = load(tx, account, region, name)
    if found is None:
        raise missing(name)
    return found


def _suppression(params: dict[str, Any]) -> dict[str, Any]:
    """The tenant's SuppressionAttributes as given. Choice: without them a tenant uses
    the account's suppression list for both reasons, as an account does by default."""
    given = params.get("SuppressionAttributes") or {}
    reasons = given.get("SuppressedReasons", ["BOUNCE", "COMPLAINT"])
    if len(set(reasons)) != len(reasons):
        raise _bad("SuppressedReasons must not repeat a reason.")
    return {
        "SuppressedReasons": list(reasons),
        "SuppressionScope": given.get("SuppressionScope", "ACCOUNT"),
    }


def _new_id() -> str:
    # Choice: AWS's TenantId format was not found; `tn-` and 32 hexadecimal digits.
    return "tn-" + secrets.token_hex(16)


def create_tenant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TenantName"]
    check_name(name)
    tags = check_tags(params.get("Tags") or [])
    data = {"Tags": tags, "SuppressionAttributes": _suppression(params)}
    tenant_id = _new_id()
    arn_path = f"{name}/{tenant_id}"
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=f"ses-tenants:{ctx.account_id}:{ctx.region}") as tx:
        if load(tx, ctx.account_id, ctx.region, name) is not None:
            # Choice: AWS's text was not found; it follows the configuration sets'.
            raise AwsError("AlreadyExistsException", f"Tenant <{name}> already exists.")
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_tenants WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_TENANTS:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_TENANTS} tenants.",
            )
        tx.execute(
            "INSERT INTO ses_tenants (account, region, name, tenant_id, arn_path, created_at, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, name, tenant_id, arn_path, now, json.dumps(data)),
        )
        tenant = require(tx, ctx.account_id, ctx.region, name)
    return _full(tenant, "ENABLED")


def _info(tenant: Tenant, status: str) -> dict[str, Any]:
    return {
        "TenantName": tenant.name,
        "TenantId": tenant.tenant_id,
        "TenantArn": tenant.arn,
        "CreatedTimestamp": tenant.created_at,
        "SendingStatus": status,
    }


def _full(tenant: Tenant, status: str) -> dict[str, Any]:
    return {
        **_info(tenant, status),
        "Tags": tenant.data.get("Tags") or [],
        "SuppressionAttributes": tenant.data["SuppressionAttributes"],
    }


def sending_status(ctx: RequestContext, tx: Transaction, tenant: Tenant) -> str:
    """The tenant's SendingStatus: its reputation entity's aggregate status."""
    return reputation_entities.aggregate_status(tx, ctx, tenant.arn, tenant.created_at)


def get_tenant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        tenant = require(tx, ctx.account_id, ctx.region, params["TenantName"])
        status = sending_status(ctx, tx, tenant)
    return {"Tenant": _full(tenant, status)}


def delete_tenant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TenantName"]
    with ctx.db.transaction(lock=f"ses-tenants:{ctx.account_id}:{ctx.region}") as tx:
        tenant = require(tx, ctx.account_id, ctx.region, name)
        # "its associations with resources are removed, but the resources themselves
        # are not deleted" [model DeleteTenant]; its reputation settings go with it.
        scope = (ctx.account_id, ctx.region)
        tx.execute(
            "DELETE FROM ses_tenant_resources WHERE account = ? AND region = ? AND tenant = ?",
            (*scope, name),
        )
        tx.execute(
            "DELETE FROM ses_reputation_entities "
            "WHERE account = ? AND region = ? AND reference = ?",
            (*scope, tenant.arn),
        )
        tx.execute(
            "DELETE FROM ses_tenants WHERE account = ? AND region = ? AND name = ?",
            (*scope, name),
        )
    return {}


def _filters(params: dict[str, Any]) -> tuple[str | None, str | None]:
    given = params.get("Filter") or {}
    status = given.get("SENDING_STATUS")
    if status is not None and status not in SENDING_STATUSES:
        raise _bad(
            f"Invalid SENDING_STATUS filter {status}: expected one of "
            f"{', '.join(SENDING_STATUSES)}."
        )
    return given.get("TENANT_NAME_CONTAINS"), status


def list_tenants(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    contains, status = _filters(params)
    limit = page_size(params)
    sql = (
        "SELECT name, created_at, tenant_id, arn_path, data FROM ses_tenants "
        "WHERE account = ? AND region = ?"
    )
    args: list[Any] = [ctx.account_id, ctx.region]
    token = params.get("NextToken")
    if token is not None:
        after_created, after_name = decode_token(token, "BadRequestException", 2)
        sql += " AND (created_at > ? OR (created_at = ? AND name > ?))"
        args += [after_created, after_created, after_name]
    found: list[dict[str, Any]] = []
    with ctx.db.transaction(readonly=True) as tx:
        # Filtered here, not in SQL: `_` is a name character rather than a LIKE wildcard,
        # and the status is derived. A Region holds at most MAX_TENANTS tenants.
        for row in tx.fetchall(sql + " ORDER BY created_at, name", args):
            tenant = Tenant(
                str(row[0]),
                str(row[2]),
                arn_of(ctx.region, ctx.account_id, str(row[3])),
                float(row[1]),
                json.loads(row[4]),
            )
            if contains is not None and contains not in tenant.name:
                continue
            tenant_status = sending_status(ctx, tx, tenant)
            if status is not None and tenant_status != status:
                continue
            found.append(_info(tenant, tenant_status))
            if len(found) > limit:
                break
    answer: dict[str, Any] = {"Tenants": found[:limit]}
    if len(found) > limit:
        last = found[limit - 1]
        answer["NextToken"] = encode_token([last["CreatedTimestamp"], last["TenantName"]])
    return answer


def put_tenant_suppression_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["TenantName"]
    with ctx.db.transaction(lock=f"ses-tenants:{ctx.account_id}:{ctx.region}") as tx:
        tenant = require(tx, ctx.account_id, ctx.region, name)
        current = tenant.data["SuppressionAttributes"]
        merged = {
            "SuppressionAttributes": {
                "SuppressedReasons": params.get("SuppressedReasons", current["SuppressedReasons"]),
                "SuppressionScope": params.get("SuppressionScope", current["SuppressionScope"]),
            }
        }
        data = {**tenant.data, "SuppressionAttributes": _suppression(merged)}
        tx.execute(
            "UPDATE ses_tenants SET data = ? WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), ctx.account_id, ctx.region, name),
        )
    return {}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateTenant": create_tenant,
    "GetTenant": get_tenant,
    "DeleteTenant": delete_tenant,
    "ListTenants": list_tenants,
    "PutTenantSuppressionAttributes": put_tenant_suppression_attributes,
}
