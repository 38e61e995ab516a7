"""poolmail's own endpoints: health, reset (with moto's alias)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

import poolmail
from poolmail.server.pipeline import Services


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def health(request: Request) -> JSONResponse:
    services = _services(request)
    return JSONResponse(
        {"status": "ok", "version": poolmail.__version__, "storage": services.db.dialect}
    )


async def reset(request: Request) -> JSONResponse:
    services = _services(request)
    await run_in_threadpool(services.db.reset)
    return JSONResponse({"reset": True})
