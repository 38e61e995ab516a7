"""SES v2 dedicated IP pools: create, read, list, delete, and the scaling mode.

A pool's row keeps its ScalingMode and tags; which IPs it holds lives with the IPs
(ips.py). ``ses-default-dedicated-pool`` is AWS's own pool, never stored: it holds every
dedicated IP that is in no pool of the account's making.
"""

from __future__ import annotations

import json
import re
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.account.tags import check_tags
from poolmail.store import Transaction

# AWS quirk: IPs in no pool belong to this pool of AWS's, which the account can name as a
# destination but neither create nor delete (docs.aws.amazon.com/ses/latest/dg/
# dedicated-ip-pools.html).
DEFAULT_POOL = "ses-default-dedicated-pool"
# AWS::SES::DedicatedIpPool's PoolName pattern, ^[a-z0-9_-]{0,64}$ (docs.aws.amazon.com/
# AWSCloudFormation/latest/UserGuide/aws-resource-ses-dedicatedippool.html); an empty
# name is refused as blank.
NAME = re.compile(r"[a-z0-9_-]{1,64}")
# Choice: AWS's quota on pools per Region was not found; poolmail allows 50.
MAX_POOLS = 50
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def pool_lock(account: str, region: str) -> str:
    """The lock every change to the account's pools and IPs takes, one after the other:
    moving an IP must not race the deletion of its pool."""
    return f"ses-dedicated-ips:{account}:{region}"


def missing_pool(name: str) -> AwsError:
    # ~ floci-io/floci reports SES answering this (facts §7).
    return AwsError("NotFoundException", f"The requested pool <{name}> does not exist.")


def bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def load_pool(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    """The pool's stored data (ScalingMode, Tags); None when the account has no such pool.
    The default pool answers as a STANDARD pool without tags."""
    if name == DEFAULT_POOL:
        return {"ScalingMode": "STANDARD", "Tags": []}
    row = tx.fetchone(
        "SELECT data FROM ses_dedicated_ip_pools WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def page_size(params: dict[str, Any]) -> int:
    """PageSize as asked. Choice: the model bounds only ListDeliverabilityTestReports'
    (0 to 1000); poolmail applies that to every list here, 0 meaning its default of 100."""
    size = params.get("PageSize")
    if size is None or size == 0:
        return DEFAULT_PAGE_SIZE
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise bad(f"PageSize must be between 0 and {MAX_PAGE_SIZE}.")
    return int(size)


@local_only
def create_dedicated_ip_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["PoolName"]
    if not name:
        raise bad("Pool name can't be blank.")
    if not NAME.fullmatch(name):
        raise bad(
            f"Pool name {name} is invalid: it must contain only lowercase letters, numbers, "
            "underscores and dashes, and at most 64 characters."
        )
    data = {
        "ScalingMode": params.get("ScalingMode") or "STANDARD",
        "Tags": check_tags(params.get("Tags") or []),
    }
    exists = AwsError("AlreadyExistsException", f"The pool <{name}> already exists.")
    if name == DEFAULT_POOL:
        raise exists
    with ctx.db.transaction(lock=pool_lock(ctx.account_id, ctx.region)) as tx:
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_dedicated_ip_pools WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_POOLS:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_POOLS} dedicated IP pools.",
            )
        added = tx.execute(
            "INSERT INTO ses_dedicated_ip_pools (account, region, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ctx.account_id, ctx.region, name, ctx.clock.now().timestamp(), json.dumps(data)),
        )
    if not added:
        raise exists
    return {}


@local_only
def get_dedicated_ip_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["PoolName"]
    with ctx.db.transaction(readonly=True) as tx:
        data = load_pool(tx, ctx.account_id, ctx.region, name)
    if data is None:
        raise missing_pool(name)
    return {"DedicatedIpPool": {"PoolName": name, "ScalingMode": data["ScalingMode"]}}


@local_only
def list_dedicated_ip_pools(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = page_size(params)
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT name, created_at FROM ses_dedicated_ip_pools WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="name",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
    # Choice: the default pool is AWS's, not one the account made, so it is not listed.
    answer: dict[str, Any] = {"DedicatedIpPools": [str(row[0]) for row in rows]}
    if token:
        answer["NextToken"] = token
    return answer


def delete_dedicated_ip_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["PoolName"]
    if name == DEFAULT_POOL:
        raise bad(f"The pool <{name}> is managed by Amazon SES and can't be deleted.")
    with ctx.db.transaction(lock=pool_lock(ctx.account_id, ctx.region)) as tx:
        data = load_pool(tx, ctx.account_id, ctx.region, name)
        if data is None:
            raise missing_pool(name)
        scope = (ctx.account_id, ctx.region, name)
        if data["ScalingMode"] == "STANDARD":
            # AWS quirk: "You can't delete dedicated IP pools that have a STANDARD scaling
            # mode with one or more dedicated IP addresses. This constraint doesn't apply to
            # ... MANAGED" (AWS::SES::DedicatedIpPool). AWS's text was not found.
            held = tx.fetchone(
                "SELECT COUNT(*) FROM ses_dedicated_ips "
                "WHERE account = ? AND region = ? AND pool = ?",
                scope,
            )
            if held is not None and int(held[0]) > 0:
                raise bad(
                    f"The pool <{name}> contains dedicated IPs: move them to another pool "
                    "before deleting it."
                )
        else:
            # A managed pool's IPs are Amazon SES's, leased for that pool: they go with it.
            tx.execute(
                "DELETE FROM ses_dedicated_ips WHERE account = ? AND region = ? AND pool = ?",
                scope,
            )
        tx.execute(
            "DELETE FROM ses_dedicated_ip_pools WHERE account = ? AND region = ? AND name = ?",
            scope,
        )
    return {}


def put_dedicated_ip_pool_scaling_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name, mode = params["PoolName"], params["ScalingMode"]
    with ctx.db.transaction(lock=pool_lock(ctx.account_id, ctx.region)) as tx:
        data = load_pool(tx, ctx.account_id, ctx.region, name)
        if data is None or name == DEFAULT_POOL:
            raise missing_pool(name)
        if data["ScalingMode"] == mode:
            return {}
        if mode == "STANDARD":
            # "MANAGED pools cannot be converted to STANDARD scaling mode." [model]; the
            # text is the one floci-io/floci reports SES answering (~).
            raise bad("The ScalingMode parameter is invalid.")
        data["ScalingMode"] = mode
        tx.execute(
            "UPDATE ses_dedicated_ip_pools SET data = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), ctx.account_id, ctx.region, name),
        )
    return {}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateDedicatedIpPool": create_dedicated_ip_pool,
    "GetDedicatedIpPool": get_dedicated_ip_pool,
    "ListDedicatedIpPools": list_dedicated_ip_pools,
    "DeleteDedicatedIpPool": delete_dedicated_ip_pool,
    "PutDedicatedIpPoolScalingAttributes": put_dedicated_ip_pool_scaling_attributes,
}
