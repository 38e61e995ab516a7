"""AWS Support's part for dedicated IPs: lease an account new dedicated IPs
(``POST /_poolmail/ses/dedicated-ips``), as AWS does when a request for them is granted.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.account_admin import ACCOUNT_ID, REGION
from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.ses.dedicated_ips import ips, pools

MAX_LEASE = 50


async def lease(request: Request) -> JSONResponse:
    """`{"account", "region", "count": 1, "pool": "ses-default-dedicated-pool",
    "warmup_percentage": 0}` (all optional) → `{"ips": [...]}`, the addresses leased."""
    services = services_of(request)
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    account = body.get("account", services.settings.account_id)
    region = body.get("region", services.settings.default_region)
    count = body.get("count", 1)
    pool = body.get("pool", pools.DEFAULT_POOL)
    percentage = body.get("warmup_percentage", 0)
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        return admin_error(400, "InvalidRequest", "account must be a 12-digit AWS account id")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        return admin_error(400, "InvalidRequest", "region must be an AWS region such as us-east-1")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_LEASE:
        return admin_error(400, "InvalidRequest", f"count must be 1 to {MAX_LEASE}")
    if not isinstance(pool, str) or not pool:
        return admin_error(400, "InvalidRequest", "pool must be a pool name")
    if (
        not isinstance(percentage, int)
        or isinstance(percentage, bool)
        or not 0 <= percentage <= 100
    ):
        return admin_error(400, "InvalidRequest", "warmup_percentage must be 0 to 100")

    def run() -> list[str]:
        now = services.clock.now().timestamp()
        with services.db.transaction(lock=pools.pool_lock(account, region)) as tx:
            return ips.lease(
                tx, account, region, count=count, pool=pool, warmup_percentage=percentage, now=now
            )

    try:
        leased = await run_in_threadpool(run)
    except ips.LeaseError as error:
        return admin_error(409, "CannotLease", str(error))
    return JSONResponse({"account": account, "region": region, "pool": pool, "ips": leased})


ROUTES: list[BaseRoute] = [Route("/_poolmail/ses/dedicated-ips", lease, methods=["POST"])]
