"""What every console page shares: the scope switcher's choices, notices after a saved
form, AWS errors shown in place, and the guard on state-changing requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from poolmail.console.forms import cross_site
from poolmail.console.render import COMMON_HEADERS, page
from poolmail.console.scope import Scope, known_scopes
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services

Handler = Callable[[Request], Awaitable[Response]]

# Fixed texts only: a notice named in the URL can't inject words into a page.
NOTICES = {
    "email-saved": "Email configuration saved.",
    "templates-saved": "Message templates saved.",
    "identity-created": "Identity created. Verification has started.",
    "identity-deleted": "Identity deleted.",
    "records-published": "Records published in poolmail's local DNS zone.",
    "verification-sent": "A new verification mail is in the mailbox.",
    "access-requested": "Production access requested: the review is pending.",
    "review-decided": "The review is decided.",
    "sending-changed": "Sending switched.",
    "suppression-added": "Address added to the suppression list.",
    "suppression-removed": "Address removed from the suppression list.",
    "suppression-saved": "Suppression reasons saved.",
}
NOT_FOUND_CODES = ("ResourceNotFoundException", "NotFoundException", "UserNotFoundException")


def chrome(services: Services, scope: Scope, active: str, request: Request) -> dict[str, Any]:
    """The layout's values (run it in the thread pool: it reads the database)."""
    with services.db.transaction() as tx:
        accounts, regions = known_scopes(tx, services)
    return {
        "scope": scope,
        "active": active,
        "accounts": accounts,
        "regions": regions,
        "path": request.url.path,
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }


async def show(
    request: Request,
    scope: Scope,
    template: str,
    active: str,
    build: Callable[[], dict[str, Any]],
    status: int = 200,
) -> Response:
    """Render ``template`` with what ``build`` reads; an AWS error becomes an error page
    that shows it as the API would have answered."""
    services = services_of(request)

    def run() -> tuple[dict[str, Any], AwsError | None]:
        values = chrome(services, scope, active, request)
        try:
            values.update(build())
        except AwsError as error:
            return values, error
        return values, None

    values, error = await run_in_threadpool(run)
    if error is not None:
        code = 404 if error.code in NOT_FOUND_CODES else 400
        return page("error.html", status=code, error=error, **values)
    return page(template, status=status, **values)


def same_origin_only(handler: Handler) -> Handler:
    """Refuse a state-changing request another site's page made the browser send."""

    async def guarded(request: Request) -> Response:
        reason = cross_site(request)
        if reason is not None:
            return PlainTextResponse(
                f"Refused: cross-site request ({reason}).", status_code=403, headers=COMMON_HEADERS
            )
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
