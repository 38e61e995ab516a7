"""SES v2 resource tags: TagResource, UntagResource and ListTagsForResource.

Each taggable resource keeps its tags in its own row's ``Tags`` (as CreateEmailIdentity,
CreateConfigurationSet, CreateEmailTemplate and CreateCustomVerificationEmailTemplate
store them), so tags given at creation and tags added later are one list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.verification import identity_lock
from poolmail.store import Transaction

# "A resource can have as many as 50 tags"; "The maximum length of a tag key is 128
# characters. The maximum length of a tag value is 256 characters." [model TagResource]
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
# AWS's tag rules for every service: Unicode letters, digits, spaces and `_ . : / = + - @`;
# keys beginning with `aws:` are AWS's own
# (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
_CHARACTERS = re.compile(r"[\w\s.:/=+\-@]*")
_ARN = re.compile(r"arn:aws[a-z-]*:ses:([a-z0-9-]+):(\d{12}):([a-z-]+)/(.+)")


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    key: str


# Resource types poolmail stores, by their ARN's resource type.
TABLES: dict[str, Table] = {
    "identity": Table("ses_identities", "identity"),
    "configuration-set": Table("ses_configuration_sets", "name"),
    "template": Table("ses_templates", "name"),
    "custom-verification-email-template": Table("ses_custom_verification_templates", "name"),
    "contact-list": Table("ses_contact_lists", "name"),
    # A tenant's ARN ends in `tenant/<name>/<id>`: its row keeps that `name/id`.
    "tenant": Table("ses_tenants", "arn_path"),
    "multi-region-endpoint": Table("ses_multi_region_endpoints", "name"),
    "dedicated-ip-pool": Table("ses_dedicated_ip_pools", "name"),
    "deliverability-test-report": Table("ses_deliverability_test_reports", "report_id"),
}
# SES v2 resource types poolmail does not store yet: their ARNs are well formed, so an
# ARN of one names a resource that does not exist here.
OTHER_TYPES = frozenset(
    {
        "export-job",
        "import-job",
        "reputation-entity",
    }
)

# Choice: AWS's texts for the refusals below were not found; each names what is wrong.


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def check_tags(tags: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``tags`` as stored, or BadRequestException for a list AWS refuses."""
    if len(tags) > MAX_TAGS:
        raise _bad(f"Too many tags: a resource can have at most {MAX_TAGS} tags.")
    seen: set[str] = set()
    for tag in tags:
        key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
        if not 1 <= len(key) <= MAX_KEY:
            raise _bad(f"Tag key {key!r} must be 1 to {MAX_KEY} characters long.")
        if len(value) > MAX_VALUE:
            raise _bad(f"The value of tag {key} must be at most {MAX_VALUE} characters long.")
        if key.lower().startswith("aws:"):
            raise _bad(f"Tag key {key} is not allowed: keys beginning with aws: are reserved.")
        if not _CHARACTERS.fullmatch(key) or not _CHARACTERS.fullmatch(value):
            raise _bad(
                f"Tag {key} is not valid: keys and values may contain only letters, digits, "
                "spaces and _ . : / = + - @"
            )
        if key in seen:
            raise _bad(f"Tag key {key} is given more than once.")
        seen.add(key)
    return [{"Key": str(tag["Key"]), "Value": str(tag.get("Value", ""))} for tag in tags]


@dataclass(frozen=True, slots=True)
class Resource:
    table: Table
    name: str


def _resource(ctx: RequestContext, arn: str) -> Resource:
    match = _ARN.fullmatch(arn)
    if match is None or (match[3] not in TABLES and match[3] not in OTHER_TYPES):
        raise _bad(f"Resource ARN {arn} is not valid.")
    region, account, kind, name = match.groups()
    table = TABLES.get(kind)
    if table is None or region != ctx.region or account != ctx.account_id:
        raise _not_found(arn)
    if kind == "identity" and "@" not in name:
        name = name.lower()  # domain identities are stored lower-cased
    return Resource(table, name)


def _not_found(arn: str) -> AwsError:
    kind, _, name = arn.rpartition(":")[2].partition("/")
    if kind == "dedicated-ip-pool":
        # ~ floci-io/floci reports SES's tag operations answering so for a pool.
        return AwsError("NotFoundException", f"No DedicatedIpPool present with name: {name}")
    return AwsError("NotFoundException", f"Resource not found: {arn}")


def _load(tx: Transaction, ctx: RequestContext, resource: Resource) -> dict[str, Any] | None:
    table = resource.table
    row = tx.fetchone(
        f"SELECT data FROM {table.name} WHERE account = ? AND region = ? AND {table.key} = ?",
        (ctx.account_id, ctx.region, resource.name),
    )
    return json.loads(row[0]) if row is not None else None


def _change(ctx: RequestContext, arn: str, change: Any) -> None:
    """Apply ``change`` (current tags → new tags) to the resource's row."""
    resource = _resource(ctx, arn)
    table = resource.table
    if table.name == "ses_identities":
        lock = identity_lock(ctx.account_id, ctx.region, resource.name)
    else:
        lock = f"ses-tags:{ctx.account_id}:{ctx.region}:{table.name}:{resource.name}"
    with ctx.db.transaction(lock=lock) as tx:
        data = _load(tx, ctx, resource)
        if data is None:
            raise _not_found(arn)
        data["Tags"] = change(list(data.get("Tags") or []))
        tx.execute(
            f"UPDATE {table.name} SET data = ? "
            f"WHERE account = ? AND region = ? AND {table.key} = ?",
            (json.dumps(data), ctx.account_id, ctx.region, resource.name),
        )


def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = check_tags(params["Tags"])
    if not given:
        raise _bad("Tags must contain at least one tag.")

    def add(current: list[dict[str, str]]) -> list[dict[str, str]]:
        merged = {tag["Key"]: tag["Value"] for tag in current}
        merged.update({tag["Key"]: tag["Value"] for tag in given})
        return check_tags([{"Key": key, "Value": value} for key, value in merged.items()])

    _change(ctx, params["ResourceArn"], add)
    return {}


def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    keys = set(params["TagKeys"])
    if not keys:
        raise _bad("TagKeys must contain at least one key.")

    def remove(current: list[dict[str, str]]) -> list[dict[str, str]]:
        return [tag for tag in current if tag["Key"] not in keys]

    _change(ctx, params["ResourceArn"], remove)
    return {}


def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceArn"]
    resource = _resource(ctx, arn)
    with ctx.db.transaction(readonly=True) as tx:
        data = _load(tx, ctx, resource)
    if data is None:
        raise _not_found(arn)
    return {"Tags": list(data.get("Tags") or [])}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
