"""Builds the Starlette application from settings and an open database."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from poolmail.clock import Clock, SystemClock
from poolmail.config import Settings
from poolmail.operations import build_registry
from poolmail.server import admin
from poolmail.server.pipeline import Services, handle_aws
from poolmail.store import Database

AWS_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def create_app(settings: Settings, db: Database, clock: Clock | None = None) -> Starlette:
    services = Services(
        db=db, clock=clock or SystemClock(), settings=settings, registry=build_registry()
    )

    async def aws(request: Request) -> Response:
        return await handle_aws(request, services)

    app = Starlette(
        routes=[
            Route("/_poolmail/health", admin.health, methods=["GET"]),
            Route("/_poolmail/reset", admin.reset, methods=["POST"]),
            # Test set-ups written for moto's server reset state this way.
            Route("/moto-api/reset", admin.reset, methods=["POST"]),
            Route("/{path:path}", aws, methods=AWS_METHODS),
        ],
    )
    app.state.services = services
    return app
