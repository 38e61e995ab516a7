"""The unsubscribe page of list-managed SES mail: GET shows what the link unsubscribes
from with a button; POST opts out, both from that button and as the one-click
unsubscribe of RFC 8058 that mail clients send for `List-Unsubscribe-Post`."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job
from poolmail.ses.contacts import unsubscribe

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p>{form}</body></html>
"""
_GONE = "This unsubscribe link is not valid any more: its list or topic no longer exists."


def _page(status: int, title: str, text: str, form: str = "") -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, text=text, form=form), status_code=status)


def _what(found: unsubscribe.Subscription) -> str:
    link = found.link
    if link.topic is None:
        return f"all mail of the list {html.escape(link.list_name)}"
    name = found.topic_display_name or link.topic
    return f"{html.escape(name)} ({html.escape(link.list_name)})"


async def unsubscribe_page(request: Request) -> HTMLResponse:
    services = services_of(request)
    token = request.path_params["token"]
    found = await run_in_threadpool(unsubscribe.find, services.db, token)
    if found is None:
        return _page(404, "Unsubscribe link not found", _GONE)
    address = html.escape(found.link.email)
    if found.opted_out:
        return _page(200, "You are unsubscribed", f"{address} no longer receives {_what(found)}.")
    form = (
        f'<form method="post" action="{html.escape(request.url.path)}">'
        '<input type="hidden" name="confirm" value="unsubscribe">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page(200, "Unsubscribe", f"Stop sending {_what(found)} to {address}?", form=form)


async def unsubscribe_post(request: Request) -> HTMLResponse:
    services = services_of(request)
    token = request.path_params["token"]
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    one_click = fields.get("List-Unsubscribe") == ["One-Click"]
    source = unsubscribe.SOURCE_HEADER if one_click else unsubscribe.SOURCE_LINK
    done = await run_in_threadpool(
        unsubscribe.opt_out, services.db, services.clock, services.settings, token, source
    )
    if done is None:
        return _page(404, "Unsubscribe link not found", _GONE)
    return _page(
        200,
        "You are unsubscribed",
        f"{html.escape(done.link.email)} no longer receives {_what(done)}.",
    )


ROUTES: list[BaseRoute] = [
    Route(unsubscribe.LINK_PATH + "{token}", unsubscribe_page, methods=["GET"]),
    Route(unsubscribe.LINK_PATH + "{token}", unsubscribe_post, methods=["POST"]),
]
JOBS: list[Job] = []
