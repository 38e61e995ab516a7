"""poolmail's own endpoints: health, reset (with moto's alias), the test clock."""

from __future__ import annotations

import datetime as dt
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import poolmail
from poolmail.clock import SystemClock
from poolmail.server.pipeline import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def admin_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


async def json_body(request: Request) -> dict[str, object] | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        document = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


async def health(request: Request) -> JSONResponse:
    services = services_of(request)
    return JSONResponse(
        {"status": "ok", "version": poolmail.__version__, "storage": services.db.dialect}
    )


async def reset(request: Request) -> JSONResponse:
    services = services_of(request)
    await run_in_threadpool(services.db.reset)
    if isinstance(services.clock, SystemClock):
        services.clock.reset()
    return JSONResponse({"reset": True})


async def clock(request: Request) -> JSONResponse:
    """Read the server's clock, or move it ahead: `{"advance_seconds": 86400}`.

    Tests of quotas and expiry jump in time this way instead of sleeping.
    """
    services = services_of(request)
    if request.method == "POST":
        body = await json_body(request)
        advance = body.get("advance_seconds") if body is not None else None
        if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
            return admin_error(400, "InvalidRequest", "advance_seconds must be a number >= 0")
        if not isinstance(services.clock, SystemClock):
            return admin_error(409, "Conflict", "this server's clock cannot be moved")
        services.clock.advance(dt.timedelta(seconds=float(advance)))
    now = services.clock.now()
    return JSONResponse({"now": now.isoformat(), "epoch": now.timestamp()})


ROUTES = [
    Route("/_poolmail/health", health, methods=["GET"]),
    Route("/_poolmail/reset", reset, methods=["POST"]),
    # Test set-ups written for moto's server reset state this way.
    Route("/moto-api/reset", reset, methods=["POST"]),
    Route("/_poolmail/clock", clock, methods=["GET", "POST"]),
]
