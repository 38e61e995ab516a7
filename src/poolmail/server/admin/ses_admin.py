"""poolmail's own SES endpoints: the verification link a mail points to, the links sent, a
verify-at-once shortcut, the local DNS zone, and the background re-check of pending domains.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services
from poolmail.ses.identities import dns, verification

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, text=text), status_code=status)


async def open_verification_link(request: Request) -> Response:
    """What the link in a verification mail opens: verified within 24 hours, else expired."""
    # Imported at the first link opened, as mail_from at the first recheck: both pull in
    # SES's sending modules, which a server's start does not need.
    from poolmail.ses.identities import custom_verification

    services = services_of(request)
    now = services.clock.now().timestamp()
    token = request.path_params["token"]
    outcome, identity = await run_in_threadpool(verification.open_link, services.db, token, now)
    # A custom verification mail's link sends its reader on to the template's success or
    # failure URL (SES's redirect; ses/identities/custom_verification.py).
    custom = await run_in_threadpool(custom_verification.redirects, services.db, token)
    if custom is not None:
        target = custom.success if outcome == "verified" else custom.failure
        return RedirectResponse(target, status_code=302)
    name = html.escape(identity or "")
    if outcome == "verified":
        return _page(
            200,
            "Congratulations!",
            f"You have successfully verified an email address: {name}. You can now start "
            "sending email from this address.",
        )
    if outcome == "expired":
        # AWS: "The link in the verification message expires 24 hours after the message
        # was sent" (docs.aws.amazon.com/ses/latest/dg/creating-identities.html).
        return _page(
            410,
            "Verification link expired",
            f"The link to verify {name} has expired: it was valid for 24 hours after the "
            "message was sent. Start the verification again to get a new link.",
        )
    return _page(
        404,
        "Verification link not found",
        "This link is not valid, or the identity it verifies no longer exists.",
    )


async def verification_links(request: Request) -> JSONResponse:
    """`?identity=<address>`: the links mailed so far, newest first."""
    services = services_of(request)
    identity = request.query_params.get("identity")
    links = await run_in_threadpool(verification.list_links, services.db, identity)
    base = str(request.base_url).rstrip("/") + verification.LINK_PATH
    for link in links:
        link["link"] = base + link.pop("token")
    return JSONResponse({"links": links})


async def verify_identity(request: Request) -> JSONResponse:
    """`{"identity": ..., "account": ..., "region": ...}`: mark an existing identity verified
    at once, for tests that do not care how."""
    services = services_of(request)
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    identity = body.get("identity")
    account = body.get("account", services.settings.account_id)
    region = body.get("region", services.settings.default_region)
    if not (
        isinstance(identity, str)
        and isinstance(account, str)
        and isinstance(region, str)
        and identity
        and account
        and region
    ):
        return admin_error(
            400, "InvalidRequest", "identity, account and region must be non-empty strings"
        )
    now = services.clock.now().timestamp()
    found = await run_in_threadpool(
        verification.mark_verified, services.db, account, region, identity, now
    )
    if not found:
        return admin_error(
            404,
            "NotFound",
            f"identity {identity} does not exist in account {account}, region {region}",
        )
    return JSONResponse({"identity": identity, "verificationStatus": "Success"})


def _record_of(body: dict[str, object] | None) -> tuple[str, str, str] | str:
    """(name, type, value) from a request body, or what is wrong with it."""
    if body is None:
        return "the body must be a JSON object"
    name, kind, value = body.get("name"), body.get("type"), body.get("value")
    if not isinstance(name, str) or not dns.normalize_name(name):
        return "name must be a DNS name"
    if not isinstance(kind, str) or kind.upper() not in dns.RECORD_TYPES:
        return f"type must be one of {', '.join(dns.RECORD_TYPES)}"
    if not isinstance(value, str) or not value.strip():
        return "value must be a non-empty string"
    preference, _, host = value.strip().partition(" ")
    if kind.upper() == "MX" and not (preference.isdigit() and dns.normalize_name(host)):
        return "an MX value is a preference and a host, such as 10 mx.example.com"
    return name, kind.upper(), value


async def dns_records(request: Request) -> JSONResponse:
    """The local zone: GET lists it, POST publishes a record, DELETE removes one."""
    services = services_of(request)
    db = services.db
    if request.method == "GET":

        def listing() -> list[dict[str, str]]:
            with db.transaction() as tx:
                return dns.list_records(tx)

        return JSONResponse({"records": await run_in_threadpool(listing)})
    record = _record_of(await json_body(request))
    if isinstance(record, str):
        return admin_error(400, "InvalidRequest", record)
    name, kind, value = record
    now = services.clock.now().timestamp()

    def change() -> bool:
        with db.transaction() as tx:
            if request.method == "POST":
                return dns.add_record(tx, name, kind, value, now)
            return dns.remove_record(tx, name, kind, value)

    changed = await run_in_threadpool(change)
    shown = {
        "name": dns.normalize_name(name),
        "type": kind,
        "value": dns.normalize_value(kind, value),
    }
    if request.method == "POST":
        return JSONResponse(shown, status_code=201 if changed else 200)
    if not changed:
        return admin_error(404, "NotFound", f"no {kind} record {shown['value']} at {name}")
    return JSONResponse({"deleted": shown})


def recheck_pending_domains(services: Services) -> None:
    from poolmail.ses.authentication import mail_from

    resolver = dns.resolver_for(services.db, services.settings.dns_server)
    dns.refresh_pending_domains(services.db, resolver, services.clock.now().timestamp())
    mail_from.refresh_all(services.db, resolver, services.clock.now().timestamp())


ROUTES: list[BaseRoute] = [
    Route(verification.LINK_PATH + "{token}", open_verification_link, methods=["GET"]),
    Route("/_poolmail/ses/verification-links", verification_links, methods=["GET"]),
    Route("/_poolmail/ses/identities/verify", verify_identity, methods=["POST"]),
    Route("/_poolmail/dns/records", dns_records, methods=["GET", "POST", "DELETE"]),
]
JOBS: list[Job] = [
    Job(
        name="ses-domain-verification",
        interval=lambda services: services.settings.dns_check_interval,
        run=recheck_pending_domains,
    )
]
