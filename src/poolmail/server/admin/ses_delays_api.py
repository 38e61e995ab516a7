"""poolmail's endpoints for simulated delivery delays (ses/sending/delivery_delays.py):

- `POST /_poolmail/ses/delivery-delays` `{"recipient", "delayType"?, "status"?,
  "diagnosticCode"?, "expiresInSeconds"?}`: mail sent to that recipient from now on gets a
  DeliveryDelay event instead of its Delivery;
- `GET` lists the delays; `DELETE` (`?recipient=` for one) removes them.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job
from poolmail.ses.sending import delivery_delays


async def put_delay(request: Request) -> JSONResponse:
    services = services_of(request)
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    try:
        delay = delivery_delays.checked(body)
    except delivery_delays.DelayError as error:
        return admin_error(400, "InvalidRequest", str(error))
    now = services.clock.now().timestamp()
    await run_in_threadpool(delivery_delays.put, services.db, delay, now)
    return JSONResponse(delay, status_code=201)


async def list_delays(request: Request) -> JSONResponse:
    services = services_of(request)
    delays = await run_in_threadpool(delivery_delays.listing, services.db)
    return JSONResponse({"delays": delays})


async def delete_delays(request: Request) -> JSONResponse:
    services = services_of(request)
    recipient = request.query_params.get("recipient")
    removed = await run_in_threadpool(delivery_delays.delete, services.db, recipient)
    if recipient is not None and not removed:
        return admin_error(404, "NotFound", f"no delivery delay for {recipient}")
    return JSONResponse({"removed": removed})


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/ses/delivery-delays", put_delay, methods=["POST"]),
    Route("/_poolmail/ses/delivery-delays", list_delays, methods=["GET"]),
    Route("/_poolmail/ses/delivery-delays", delete_delays, methods=["DELETE"]),
]
JOBS: list[Job] = []
