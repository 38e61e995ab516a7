"""The console's SES suppression list page: the account's suppressed reasons, and its
listed addresses with their reason and the message that listed them; add and remove."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolmail.console.forms import read_form
from poolmail.console.layout import same_origin_only, see_other, show
from poolmail.console.scope import Scope, call, scope_of
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services
from poolmail.ses.suppression import store

SESV2 = "sesv2"
PATH = "/console/ses/suppression"
# The page shows a glance, newest last; ListSuppressedDestinations pages through the rest.
SHOWN = 500


def _values(
    services: Services, scope: Scope, error: AwsError | None, given: dict[str, str]
) -> dict[str, Any]:
    account = call(services, scope, SESV2, "GetAccount", {})
    with services.db.transaction(readonly=True) as tx:
        listed, more = store.page_destinations(
            tx,
            scope.account,
            scope.region,
            reasons=None,
            start=None,
            end=None,
            token=None,
            token_error="InvalidNextTokenException",
            limit=SHOWN,
        )
    return {
        "reasons": account["SuppressionAttributes"]["SuppressedReasons"],
        "production": bool(account.get("ProductionAccessEnabled")),
        "listed": listed,
        "more": more is not None,
        "error": error,
        "given": given,
        "all_reasons": store.REASONS,
    }


async def suppression_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)
    return await show(
        request,
        scope,
        "ses_suppression.html",
        "suppression",
        lambda: _values(services, scope, None, {}),
    )


async def _act(request: Request, operation: str, params_of: Any, done: str) -> Response:
    services = services_of(request)
    form = await read_form(request)
    scope = scope_of(request, services, form)
    try:
        await run_in_threadpool(call, services, scope, SESV2, operation, params_of(form))
    except AwsError as error:
        refused = error
        return await show(
            request,
            scope,
            "ses_suppression.html",
            "suppression",
            lambda: _values(services, scope, refused, form),
            status=400,
        )
    return see_other(f"{PATH}?{scope.query(done=done)}")


@same_origin_only
async def add_destination(request: Request) -> Response:
    return await _act(
        request,
        "PutSuppressedDestination",
        lambda form: {"EmailAddress": form.get("email", ""), "Reason": form.get("reason", "")},
        "suppression-added",
    )


@same_origin_only
async def remove_destination(request: Request) -> Response:
    return await _act(
        request,
        "DeleteSuppressedDestination",
        lambda form: {"EmailAddress": form.get("email", "")},
        "suppression-removed",
    )


@same_origin_only
async def save_reasons(request: Request) -> Response:
    return await _act(
        request,
        "PutAccountSuppressionAttributes",
        lambda form: {"SuppressedReasons": [r for r in store.REASONS if form.get(r.lower())]},
        "suppression-saved",
    )
