"""Builds the Starlette application from settings and an open database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import ModuleType

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from poolmail import functions
from poolmail.clock import Clock, SystemClock
from poolmail.config import Settings
from poolmail.operations import lazy_registry
from poolmail.server.admin import account_admin, admin, outbox_admin, ses_admin, ses_objects_api
from poolmail.server.background import Job, run_forever
from poolmail.server.cors import EXPOSED_HEADERS, AwsCors
from poolmail.server.inline import Inline
from poolmail.server.lazy_routes import LazyRoutes
from poolmail.server.pipeline import (
    MAX_BODY_BYTES,
    AwsRequest,
    Services,
    answer_aws,
    handle_aws,
    raw_headers,
    receive_body,
)
from poolmail.server.web import hosted_routes, import_routes, oidc_routes
from poolmail.server.web.hosted_routes import HostedDomains
from poolmail.store import Database

AWS_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
_AWS_METHODS = frozenset(AWS_METHODS)
# What AwsCors adds to an answer to a request with an Origin.
_CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", EXPOSED_HEADERS),
]


# Modules with periodic work (JOBS), imported at start for it.
_JOB_MODULES = (ses_admin, account_admin, import_routes, outbox_admin, ses_objects_api)


def _lazy(module: str, *prefixes: str) -> LazyRoutes:
    return LazyRoutes(f"poolmail.server.{module}", prefixes)


def admin_routes() -> list[BaseRoute]:
    """poolmail's own endpoints, in the order Starlette tries them; a module without JOBS
    is imported at the first request under the paths it serves (lazy_routes.py)."""
    modules: list[ModuleType | LazyRoutes] = [
        admin,
        ses_admin,
        _lazy("admin.ses_delays_api", "/_poolmail/ses/delivery-delays"),
        account_admin,
        _lazy("admin.dedicated_ip_admin", "/_poolmail/ses/dedicated-ips"),
        _lazy("admin.mailbox_api", "/_aws/ses", "/_poolmail/messages"),
        _lazy("admin.sms_api", "/_poolmail/sms"),
        _lazy("web.cognito_routes", "/confirmUser"),
        _lazy("web.console_routes", "/", "/console", "/_poolmail/codes"),
        _lazy("web.contact_routes", "/_poolmail/ses/unsubscribe"),
        oidc_routes,
        import_routes,
        _lazy("admin.risk_admin", "/_poolmail/cognito/feedback", "/_poolmail/cognito/pools"),
        _lazy("admin.recovery_admin", "/_poolmail/cognito/point-in-time-recovery"),
        outbox_admin,
        _lazy("admin.functions_api", "/_poolmail/functions", "/console/functions"),
        _lazy("web.tracking_routes", "/_poolmail/ses/t"),
        ses_objects_api,
        _lazy("admin.ses_events_api", "/_poolmail/ses/events"),
    ]
    return [
        route
        for module in modules
        for route in ([module] if isinstance(module, LazyRoutes) else module.ROUTES)
    ]


def background_jobs() -> list[Job]:
    return [job for module in _JOB_MODULES for job in module.JOBS]


class PoolmailApp(Starlette):
    """The Starlette app, with the AWS APIs' requests (`POST /`, `/v2/email/...`) taken
    straight to the pipeline.

    Through the middleware and the router such a request passed eight ASGI layers and had
    a Request and a Response built, a third of a trivial call's CPU in the app. Here it
    gets what those layers do to it, no more: AwsCors's headers (a preflight is an
    OPTIONS, which goes the long way), ServerErrorMiddleware's plain 500 for an error the
    pipeline lets out, the route's messages. A request HostedDomains may map to a pool
    domain, or one under a root path, goes the long way too. AdminGuard (outside, in
    process.py) guards none of these paths.
    """

    services: Services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_aws_call(scope):
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        started = False
        try:
            request = AwsRequest(scope)
            declared = request.header(b"content-length") or ""
            body = await receive_body(receive, declared, MAX_BODY_BYTES)
            status, headers, content = await answer_aws(request, body, self.services)
            raw = raw_headers(status, headers, content)
            if b"origin" in request.headers:
                raw.extend(_CORS_HEADERS)
            started = True
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": content})
        except Exception:
            # As ServerErrorMiddleware answers (without debug), and the server logs it.
            if not started:
                error = PlainTextResponse("Internal Server Error", status_code=500)
                await error(scope, receive, send)
            raise


def _is_aws_call(scope: Scope) -> bool:
    """Whether the router would hand ``scope`` to the pipeline by one of the AWS APIs'
    own routes, with HostedDomains leaving it as it is."""
    if scope.get("root_path"):
        return False
    path: str = scope["path"]
    method: str = scope["method"]
    if not (
        (path == "/" and method == "POST")
        or (path.startswith("/v2/email/") and method in _AWS_METHODS)
    ):
        return False
    return hosted_routes.domain_host(scope) is None


def create_app(settings: Settings, db: Database, clock: Clock | None = None) -> Starlette:
    services = Services(
        db=db,
        clock=clock or SystemClock(),
        settings=settings,
        registry=lazy_registry(),
        inline=Inline(db, relay=bool(settings.relay)),
    )

    async def aws(request: Request) -> Response:
        return await handle_aws(request, services)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(run_forever(job, services)) for job in background_jobs()]
        listener = None
        if settings.smtp_port is not None:
            # Imported only when asked for: aiosmtpd is a fair share of start-up time.
            from poolmail.mail import smtp_listener

            listener = await smtp_listener.start(services, settings.host, settings.smtp_port)
        try:
            yield
        finally:
            if listener is not None:
                listener.close()
            functions.shutdown()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = PoolmailApp(
        # HostedDomains first: a request by a pool domain's Host header becomes the
        # domain's path form before anything else sees it.
        middleware=[Middleware(HostedDomains), Middleware(AwsCors)],
        routes=[
            # The AWS APIs' own paths first: Starlette tries routes in order, and trying
            # fifty admin patterns before the catch-all cost as much as a database read.
            # No admin route takes POST / or anything under /v2/email/.
            Route("/", aws, methods=["POST"]),
            Route("/v2/email/{path:path}", aws, methods=AWS_METHODS),
            # Then a pool domain's endpoints (`/_domain/...`, what HostedDomains maps its
            # hosts to): its token endpoint is a hot path too, and no admin route takes it.
            *hosted_routes.ROUTES,
            *admin_routes(),
            Route("/{path:path}", aws, methods=AWS_METHODS),
        ],
        lifespan=lifespan,
    )

    async def unrouted(scope: Scope, receive: Receive, send: Send) -> None:
        # Paths the catch-all pattern cannot match (a percent-encoded newline in an SES
        # v2 label, say) still get an AWS-shaped answer rather than Starlette's 404 text.
        response = await aws(Request(scope, receive))
        await response(scope, receive, send)

    app.router.default = unrouted
    app.state.services = services
    app.services = services
    return app
