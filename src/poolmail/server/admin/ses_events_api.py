"""`GET /_poolmail/ses/events`: every SES event poolmail published to a configuration
set's event destination, with its delivery status and attempts (ses/events/delivery_log.py).

Query: `account`, `region`, `configuration_set`, `message_id` narrow it; `limit` (1-1000);
`validations=1` adds SES's validation messages to new SNS destinations.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.background import Job
from poolmail.ses.events import delivery_log


async def events(request: Request) -> JSONResponse:
    services = services_of(request)
    query = request.query_params
    limit_text = query.get("limit", "1000")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        return admin_error(400, "InvalidRequest", "limit must be a whole number from 1 to 1000")

    def run() -> list[dict[str, object]]:
        with services.db.transaction(readonly=True) as tx:
            return delivery_log.entries(
                tx,
                account=query.get("account"),
                region=query.get("region"),
                configuration_set=query.get("configuration_set"),
                message_id=query.get("message_id"),
                validations=query.get("validations") in ("1", "true"),
                limit=int(limit_text),
            )

    return JSONResponse({"events": await run_in_threadpool(run)})


ROUTES: list[BaseRoute] = [Route("/_poolmail/ses/events", events, methods=["GET"])]
JOBS: list[Job] = []
