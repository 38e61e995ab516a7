"""Mailbox pages (the live list with its filters and search; one message is
message_pages.py), the sending log, and `/_poolmail/codes` for end-to-end tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from poolmail.console import mail_views, sending_log
from poolmail.console.layout import show
from poolmail.console.render import page
from poolmail.console.scope import scope_of
from poolmail.server.admin.admin import admin_error, services_of
from poolmail.sms import queries as sms_queries

# How often the mailbox page asks for new rows, in milliseconds.
POLL_MILLISECONDS = 1500


def _filter_values() -> dict[str, Any]:
    return {
        "kind_groups": {key: label for key, (label, _) in mail_views.KIND_GROUPS.items()},
        "statuses": mail_views.STATUSES,
    }


async def mailbox_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)
    wanted = mail_views.MailFilter.of(request.query_params)

    def build() -> dict[str, Any]:
        with services.db.transaction() as tx:
            messages = mail_views.list_mail(tx, wanted)
        return {
            "messages": messages,
            "filter": wanted,
            "rows_url": "/console/mail/rows?" + urlencode(wanted.query()),
            "poll": POLL_MILLISECONDS,
            **_filter_values(),
        }

    return await show(request, scope, "mailbox.html", "mail", build)


async def mailbox_rows(request: Request) -> Response:
    """The list's rows alone, for the page's polling script."""
    services = services_of(request)
    wanted = mail_views.MailFilter.of(request.query_params)

    def read() -> list[dict[str, Any]]:
        with services.db.transaction() as tx:
            return mail_views.list_mail(tx, wanted)

    return page("mail_rows.html", messages=await run_in_threadpool(read))


async def sending_log_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        now = services.clock.now().timestamp()
        with services.db.transaction() as tx:
            return {"entries": sending_log.log_entries(tx, now)}

    return await show(request, scope, "sending_log.html", "log", build)


async def newest_code(request: Request) -> Response:
    """`?pool_id=&username=`: the code, link and kind of the newest Cognito mail or SMS
    the user was sent, with its `medium` (EMAIL or SMS; 404 when none): the one call an
    end-to-end test needs after SignUp. ``username`` may also be the address or the
    phone number the code went to."""
    services = services_of(request)
    pool_id = request.query_params.get("pool_id", "")
    username = request.query_params.get("username", "")
    if not (pool_id and username):
        return admin_error(400, "InvalidRequest", "pool_id and username are required")

    def read() -> dict[str, Any] | None:
        with services.db.transaction() as tx:
            mailed = mail_views.newest_code(tx, pool_id, username)
            texted = sms_queries.newest_code(tx, pool_id, username)
        if texted is not None and (mailed is None or texted["created_at"] > mailed["created_at"]):
            return {
                "code": texted["code"],
                "link": None,
                "kind": texted["kind"],
                "message_id": texted["id"],
                "recipient": texted["destination"],
                "timestamp": texted["timestamp"],
                "created_at": texted["created_at"],
                "medium": "SMS",
            }
        return mailed

    found = await run_in_threadpool(read)
    if found is None:
        return admin_error(404, "NotFound", f"No Cognito mail or SMS for {username} in {pool_id}.")
    return JSONResponse(found)
