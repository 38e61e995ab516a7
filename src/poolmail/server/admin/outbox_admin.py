"""poolmail's endpoints for what it hands to other AWS services: every record of the
outbox with its delivery attempts (`GET /_poolmail/outbox`), a pool's exported logs
(`GET /_poolmail/cognito/logs?pool_id=`), and the background job that delivers them.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.aws_services import delivery, outbox
from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services

# Seconds between delivery rounds: a record reaches the endpoint within about this long.
DELIVERY_INTERVAL = 0.5


async def _listing(request: Request, source_prefix: str, owner: str | None) -> JSONResponse:
    services = services_of(request)
    limit_text = request.query_params.get("limit", "1000")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        return admin_error(400, "InvalidRequest", "limit must be a whole number from 1 to 1000")
    limit = int(limit_text)

    def run() -> list[dict[str, object]]:
        with services.db.transaction(readonly=True) as tx:
            return outbox.listing(tx, source_prefix=source_prefix, owner=owner, limit=limit)

    return JSONResponse({"records": await run_in_threadpool(run)})


async def all_records(request: Request) -> JSONResponse:
    """`{"records": [...]}`, newest first; `?source=` (a prefix such as `cognito-idp:`),
    `?owner=` and `?limit=` narrow it."""
    query = request.query_params
    return await _listing(request, query.get("source", ""), query.get("owner"))


async def cognito_logs(request: Request) -> JSONResponse:
    """A pool's `userNotification` and `userAuthEvents` records (`?pool_id=` required)."""
    pool_id = request.query_params.get("pool_id")
    if not pool_id:
        return admin_error(400, "InvalidRequest", "pool_id is required")
    return await _listing(request, "cognito-idp:", pool_id)


def _deliver(services: Services) -> None:
    settings = services.settings
    if outbox.delivers(settings):
        delivery.deliver_due(services.db, services.clock, settings)


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/outbox", all_records, methods=["GET"]),
    Route("/_poolmail/cognito/logs", cognito_logs, methods=["GET"]),
]
JOBS: list[Job] = [
    Job(name="aws-outbox-delivery", interval=lambda services: DELIVERY_INTERVAL, run=_deliver)
]
