"""The web console's routes under `/console/`, its static files, `/_poolmail/codes`, and
the browser's way in: `GET /` with `Accept: text/html` and nothing of AWS about it
redirects to the console; every other request to `/` is an AWS request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from poolmail.console import (
    app_integration,
    mail_pages,
    message_pages,
    pool_pages,
    ses_events,
    ses_pages,
    ses_receiving,
    ses_suppression,
    sms_pages,
    user_pages,
)
from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import handle_aws

CONSOLE = "/console/"
# Query members that make a `GET /` an AWS request (SES's query protocol, presigned URLs).
_AWS_QUERY = ("Action", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Algorithm")


def is_browser_visit(request: Request) -> bool:
    """A person typing the server's address: HTML wanted, no signature, no target, no
    action. Anything else to `/` goes to the AWS pipeline as before."""
    headers = request.headers
    if "text/html" not in headers.get("accept", ""):
        return False
    if "authorization" in headers or "x-amz-target" in headers:
        return False
    return not any(name in request.query_params for name in _AWS_QUERY)


async def root(request: Request) -> Response:
    if is_browser_visit(request):
        return RedirectResponse(CONSOLE, status_code=302)
    return await handle_aws(request, services_of(request))


async def console_home(request: Request) -> Response:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{CONSOLE}pools{query}", status_code=302)


_POOL = "/console/pools/{pool_id}"
_IDENTITY = "/console/ses/identities/{identity}"
_MAIL = "/console/mail/{message_id}"

ROUTES: list[BaseRoute] = [
    # Only GET (and HEAD): POST / never reaches this route and stays the AWS endpoint.
    Route("/", root, methods=["GET"]),
    Route("/console", console_home, methods=["GET"]),
    Route(CONSOLE, console_home, methods=["GET"]),
    Mount(
        "/console/static",
        app=StaticFiles(packages=[("poolmail.console", "static")]),
        name="console-static",
    ),
    Route("/console/pools", pool_pages.pools_page, methods=["GET"]),
    Route(_POOL, pool_pages.pool_page, methods=["GET"]),
    Route(_POOL + "/users/{username}", user_pages.user_page, methods=["GET"]),
    Route(_POOL + "/app-integration", app_integration.app_integration_page, methods=["GET"]),
    Route(_POOL + "/email", pool_pages.email_page, methods=["GET"]),
    Route(_POOL + "/email", pool_pages.save_email, methods=["POST"]),
    Route(_POOL + "/templates", pool_pages.save_templates, methods=["POST"]),
    Route("/console/ses/identities", ses_pages.identities_page, methods=["GET"]),
    Route("/console/ses/identities", ses_pages.create_identity, methods=["POST"]),
    Route(_IDENTITY, ses_pages.identity_page, methods=["GET"]),
    Route(_IDENTITY + "/publish", ses_pages.publish_records, methods=["POST"]),
    Route(_IDENTITY + "/resend", ses_pages.resend_verification, methods=["POST"]),
    Route(_IDENTITY + "/delete", ses_pages.delete_identity, methods=["POST"]),
    Route("/console/ses/account", ses_pages.account_page, methods=["GET"]),
    Route("/console/ses/events", ses_events.events_page, methods=["GET"]),
    Route("/console/ses/receiving", ses_receiving.receiving_page, methods=["GET"]),
    Route(ses_suppression.PATH, ses_suppression.suppression_page, methods=["GET"]),
    Route(ses_suppression.PATH + "/add", ses_suppression.add_destination, methods=["POST"]),
    Route(ses_suppression.PATH + "/remove", ses_suppression.remove_destination, methods=["POST"]),
    Route(ses_suppression.PATH + "/reasons", ses_suppression.save_reasons, methods=["POST"]),
    Route("/console/ses/account/request", ses_pages.request_production_access, methods=["POST"]),
    Route("/console/ses/account/review", ses_pages.decide_review, methods=["POST"]),
    Route("/console/ses/account/sending", ses_pages.switch_sending, methods=["POST"]),
    Route("/console/mail", mail_pages.mailbox_page, methods=["GET"]),
    Route("/console/mail/rows", mail_pages.mailbox_rows, methods=["GET"]),
    Route(_MAIL, message_pages.message_page, methods=["GET"]),
    Route(_MAIL + "/html", message_pages.message_html, methods=["GET"]),
    Route(_MAIL + "/links", message_pages.check_message_links, methods=["POST"]),
    Route(_MAIL + "/release", message_pages.release_message, methods=["POST"]),
    Route("/console/sms", sms_pages.outbox_page, methods=["GET"]),
    Route("/console/sms/rows", sms_pages.outbox_rows, methods=["GET"]),
    Route("/console/log", mail_pages.sending_log_page, methods=["GET"]),
    Route("/_poolmail/codes", mail_pages.newest_code, methods=["GET"]),
]
JOBS: list[Job] = []
