"""SES v2 tenant resource associations: CreateTenantResourceAssociation,
DeleteTenantResourceAssociation, ListTenantResources, ListResourceTenants; and the check
of a send that names a tenant.

"The email sending operation will only succeed if all referenced resources (identities,
configuration sets, and templates) are associated with this tenant." [model
SendEmailRequest.TenantName]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.contacts.lists import page_size
from poolmail.ses.identities.coverage import candidates
from poolmail.ses.tenants import tenants
from poolmail.store import Transaction

_ARN = re.compile(r"arn:aws[a-z-]*:ses:([a-z0-9-]+):(\d{12}):([a-z-]+)/(.+)")
# A tenant's resources by their ARN's resource type: table, key column, ResourceType.
_TYPES = {
    "identity": ("ses_identities", "identity", "EMAIL_IDENTITY"),
    "configuration-set": ("ses_configuration_sets", "name", "CONFIGURATION_SET"),
    "template": ("ses_templates", "name", "EMAIL_TEMPLATE"),
}
RESOURCE_TYPES = tuple(kind[2] for kind in _TYPES.values())


@dataclass(frozen=True, slots=True)
class Resource:
    arn: str  # as stored: domain identities lower-cased
    resource_type: str


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _resource(tx: Transaction, ctx: RequestContext, arn: str) -> Resource:
    """The account's identity, configuration set or template ``arn`` names."""
    match = _ARN.fullmatch(arn)
    if match is None or match[3] not in _TYPES:
        # Choice: AWS's texts for the refusals below were not found; each names the fault.
        raise _bad(
            f"Resource ARN {arn} is not valid: a tenant's resources are email identities, "
            "configuration sets and email templates."
        )
    region, account, kind, name = match.groups()
    table, key, resource_type = _TYPES[kind]
    if kind == "identity" and "@" not in name:
        name = name.lower()
    row = None
    if region == ctx.region and account == ctx.account_id:
        row = tx.fetchone(
            f"SELECT 1 FROM {table} WHERE account = ? AND region = ? AND {key} = ?",
            (account, region, name),
        )
    if row is None:
        raise AwsError("NotFoundException", f"Resource {arn} does not exist.")
    return Resource(f"arn:aws:ses:{region}:{account}:{kind}/{name}", resource_type)


def create_tenant_resource_association(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["TenantName"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=f"ses-tenants:{ctx.account_id}:{ctx.region}") as tx:
        tenants.require(tx, ctx.account_id, ctx.region, name)
        resource = _resource(tx, ctx, params["ResourceArn"])
        added = tx.execute(
            "INSERT INTO ses_tenant_resources (account, region, tenant, resource_arn, "
            "resource_type, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ctx.account_id, ctx.region, name, resource.arn, resource.resource_type, now),
        )
    if not added:
        raise AwsError(
            "AlreadyExistsException",
            f"Resource {resource.arn} is already associated with tenant <{name}>.",
        )
    return {}


def delete_tenant_resource_association(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name, arn = params["TenantName"], params["ResourceArn"]
    with ctx.db.transaction(lock=f"ses-tenants:{ctx.account_id}:{ctx.region}") as tx:
        tenants.require(tx, ctx.account_id, ctx.region, name)
        stored = _stored_arn(arn)
        deleted = tx.execute(
            "DELETE FROM ses_tenant_resources WHERE account = ? AND region = ? AND tenant = ? "
            "AND resource_arn = ?",
            (ctx.account_id, ctx.region, name, stored),
        )
    if not deleted:
        raise AwsError(
            "NotFoundException", f"Resource {arn} is not associated with tenant <{name}>."
        )
    return {}


def _stored_arn(arn: str) -> str:
    """``arn`` as associations store it (a domain identity's name lower-cased)."""
    match = _ARN.fullmatch(arn)
    if match is not None and match[3] == "identity" and "@" not in match[4]:
        return f"arn:aws:ses:{match[1]}:{match[2]}:identity/{match[4].lower()}"
    return arn


def list_tenant_resources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TenantName"]
    wanted = (params.get("Filter") or {}).get("RESOURCE_TYPE")
    if wanted is not None and wanted not in RESOURCE_TYPES:
        raise _bad(
            f"Invalid RESOURCE_TYPE filter {wanted}: expected one of {', '.join(RESOURCE_TYPES)}."
        )
    limit = page_size(params)
    select = (
        "SELECT resource_arn, created_at, resource_type FROM ses_tenant_resources "
        "WHERE account = ? AND region = ? AND tenant = ?"
    )
    args: list[Any] = [ctx.account_id, ctx.region, name]
    if wanted is not None:
        select += " AND resource_type = ?"
        args.append(wanted)
    with ctx.db.transaction(readonly=True) as tx:
        tenants.require(tx, ctx.account_id, ctx.region, name)
        rows, next_token = keyset_page(
            tx,
            select,
            args,
            key="resource_arn",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
    answer: dict[str, Any] = {
        "TenantResources": [
            {"ResourceType": str(row[2]), "ResourceArn": str(row[0])} for row in rows
        ]
    }
    if next_token:
        answer["NextToken"] = next_token
    return answer


def list_resource_tenants(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = page_size(params)
    with ctx.db.transaction(readonly=True) as tx:
        resource = _resource(tx, ctx, params["ResourceArn"])
        rows, next_token = keyset_page(
            tx,
            "SELECT tenant, created_at FROM ses_tenant_resources "
            "WHERE account = ? AND region = ? AND resource_arn = ?",
            [ctx.account_id, ctx.region, resource.arn],
            key="tenant",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
        names = [str(row[0]) for row in rows]
        marks = ", ".join("?" for _ in names)
        ids = {
            str(name): str(tenant_id)
            for name, tenant_id in (
                tx.fetchall(
                    "SELECT name, tenant_id FROM ses_tenants WHERE account = ? AND region = ? "
                    f"AND name IN ({marks})",
                    (ctx.account_id, ctx.region, *names),
                )
                if names
                else []
            )
        }
    answer: dict[str, Any] = {
        "ResourceTenants": [
            {
                "TenantName": str(row[0]),
                "TenantId": ids.get(str(row[0]), ""),
                "ResourceArn": resource.arn,
                "AssociatedTimestamp": float(row[1]),
            }
            for row in rows
        ]
    }
    if next_token:
        answer["NextToken"] = next_token
    return answer


def check_send(
    ctx: RequestContext,
    tenant_name: str,
    *,
    source: str,
    source_arn: str | None,
    configuration_set: str | None,
    template: dict[str, Any] | None,
) -> None:
    """Refuse a send through ``tenant_name`` as SES does: an unknown tenant, a tenant whose
    sending is disabled, or a resource the send uses that the tenant is not associated
    with. Choice: AWS's texts were not found; an unknown tenant answers
    NotFoundException, a disabled one SendingPausedException, an unassociated resource
    BadRequestException."""
    prefix = f"arn:aws:ses:{ctx.region}:{ctx.account_id}:"
    template = template or {}
    template_name = template.get("TemplateName") or (
        str(template["TemplateArn"]).rpartition("/")[2] if "TemplateArn" in template else None
    )
    with ctx.db.transaction(readonly=True) as tx:
        tenant = tenants.require(tx, ctx.account_id, ctx.region, tenant_name)
        if tenants.sending_status(ctx, tx, tenant) == "DISABLED":
            raise AwsError(
                "SendingPausedException", f"Sending is disabled for tenant <{tenant_name}>."
            )
        associated = {
            str(row[0])
            for row in tx.fetchall(
                "SELECT resource_arn FROM ses_tenant_resources "
                "WHERE account = ? AND region = ? AND tenant = ?",
                (ctx.account_id, ctx.region, tenant_name),
            )
        }
    if source_arn is not None:
        identities = [_stored_arn(source_arn)]
    else:
        identities = [f"{prefix}identity/{name}" for name in candidates(source)]
    if not associated.intersection(identities):
        raise _unassociated(identities[0], tenant_name)
    if configuration_set and f"{prefix}configuration-set/{configuration_set}" not in associated:
        raise _unassociated(f"{prefix}configuration-set/{configuration_set}", tenant_name)
    if template_name and f"{prefix}template/{template_name}" not in associated:
        raise _unassociated(f"{prefix}template/{template_name}", tenant_name)


def _unassociated(arn: str, tenant_name: str) -> AwsError:
    return _bad(f"Resource {arn} is not associated with tenant <{tenant_name}>.")


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateTenantResourceAssociation": create_tenant_resource_association,
    "DeleteTenantResourceAssociation": delete_tenant_resource_association,
    "ListTenantResources": list_tenant_resources,
    "ListResourceTenants": list_resource_tenants,
}
