"""The mailbox over HTTP: LocalStack's `/_aws/ses` and poolmail's `/_poolmail/messages`."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.mail import attachments, queries
from poolmail.mail.queries import MessageFilter
from poolmail.server.admin import admin_error, services_of
from poolmail.server.background import Job

MAX_LIMIT = 1000


def _listings(request: Request) -> anyio.CapacityLimiter:
    """One full listing at a time (per app, made on its event loop). Each holds its whole
    answer in memory (4 MB for ten thousand messages): sixteen at once left 150 MB resident
    for nothing. And two threads reading rows side by side hand the GIL to each other at
    every row, which doubled the CPU a listing costs; one after the other, they do not."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "listings", None)
    if limiter is None:
        limiter = request.app.state.listings = anyio.CapacityLimiter(1)
    return limiter


async def localstack_messages(request: Request) -> Response:
    services = services_of(request)
    if request.method == "DELETE":
        message_id = request.query_params.get("id")

        def delete() -> None:
            with services.db.transaction() as tx:
                queries.delete_messages(tx, message_id)

        await run_in_threadpool(delete)
        return Response(status_code=204)

    where = MessageFilter(
        message_id=request.query_params.get("id") or None,
        sender=request.query_params.get("email") or None,
        include_rejected=False,
        # SES's own mail (identity verification) is AWS's, not the account's: LocalStack's
        # listing never shows it, so tests written for it expect only their own sends.
        exclude_kinds=("ses-verification",),
        limit=10**9,
    )

    def read() -> bytes:
        with services.db.transaction(readonly=True) as tx:
            entries = queries.localstack_listing(tx, where, services.db.dialect)
        # The entries are JSON already (see mail/localstack.py): joined, not encoded again.
        return ('{"messages":[' + entries + "]}").encode()

    body = await anyio.to_thread.run_sync(read, limiter=_listings(request))
    return Response(body, media_type="application/json")


def _number(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


async def list_messages(request: Request) -> Response:
    services = services_of(request)
    query = request.query_params
    if request.method == "DELETE":

        def clear() -> int:
            with services.db.transaction() as tx:
                return queries.delete_messages(tx)

        return JSONResponse({"deleted": await run_in_threadpool(clear)})
    try:
        where = MessageFilter(
            recipient=query.get("recipient"),
            sender=query.get("sender"),
            since=_number(query.get("since")),
            until=_number(query.get("until")),
            status=query.get("status"),
            kind=query.get("kind"),
            account=query.get("account"),
            region=query.get("region"),
            search=query.get("q"),
            limit=min(int(query.get("limit", "100")), MAX_LIMIT),
        )
    except ValueError:
        return admin_error(400, "InvalidRequest", "since, until and limit must be numbers")

    def read() -> list[dict[str, Any]]:
        with services.db.transaction(readonly=True) as tx:
            return queries.list_messages(tx, where)

    return JSONResponse({"messages": await run_in_threadpool(read)})


async def one_message(request: Request) -> Response:
    services = services_of(request)
    message_id = request.path_params["message_id"]

    def act() -> dict[str, Any] | int | None:
        with services.db.transaction(readonly=request.method != "DELETE") as tx:
            if request.method == "DELETE":
                return queries.delete_messages(tx, message_id)
            return queries.full_message(tx, message_id)

    if request.method == "DELETE":
        found = await run_in_threadpool(act)
    else:
        found = await services.inline.read(act)
    if not found:
        return admin_error(404, "NotFound", f"No message {message_id}.")
    if request.method == "DELETE":
        return Response(status_code=204)
    return JSONResponse(found)


async def raw_message(request: Request) -> Response:
    services = services_of(request)
    message_id = request.path_params["message_id"]

    def read() -> bytes | None:
        with services.db.transaction(readonly=True) as tx:
            return queries.raw_message(tx, message_id)

    raw = await run_in_threadpool(read)
    if raw is None:
        return admin_error(404, "NotFound", f"No stored MIME message {message_id}.")
    return Response(
        raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{message_id}.eml"'},
    )


async def message_attachments(request: Request) -> Response:
    """`{"attachments": [{index, filename, content_type, size, inline, content_id}]}`:
    every part of the message that is not one of its bodies."""
    services = services_of(request)
    message_id = request.path_params["message_id"]

    def read() -> bytes | None:
        with services.db.transaction(readonly=True) as tx:
            return queries.raw_message(tx, message_id)

    raw = await run_in_threadpool(read)
    if raw is None:
        return admin_error(404, "NotFound", f"No stored MIME message {message_id}.")
    found = await run_in_threadpool(attachments.attachments, raw)
    return JSONResponse({"attachments": [part.as_json() for part in found]})


async def one_attachment(request: Request) -> Response:
    """One attachment's content, as a download (never shown as a page of this origin)."""
    services = services_of(request)
    message_id = request.path_params["message_id"]
    index = request.path_params["index"]

    def read() -> tuple[attachments.Attachment, bytes] | None:
        with services.db.transaction(readonly=True) as tx:
            raw = queries.raw_message(tx, message_id)
        return None if raw is None else attachments.attachment(raw, index)

    found = await run_in_threadpool(read)
    if found is None:
        return admin_error(404, "NotFound", f"No attachment {index} in message {message_id}.")
    part, content = found
    return Response(content, headers=attachments.download_headers(part))


async def message_events(request: Request) -> Response:
    services = services_of(request)
    message_id = request.path_params["message_id"]

    def read() -> list[dict[str, Any]] | None:
        with services.db.transaction(readonly=True) as tx:
            if not queries.list_messages(tx, MessageFilter(message_id=message_id, limit=1)):
                return None
            return queries.events(tx, message_id)

    found = await services.inline.read(read)
    if found is None:
        return admin_error(404, "NotFound", f"No message {message_id}.")
    return JSONResponse({"events": found})


WAIT_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.1


def _filter_from(query: Any, **overrides: Any) -> MessageFilter:
    fields = {
        "recipient": query.get("recipient"),
        "sender": query.get("sender"),
        "since": _number(query.get("since")),
        "status": query.get("status"),
        "kind": query.get("kind"),
        "account": query.get("account"),
        "region": query.get("region"),
        "search": query.get("q"),
        "limit": 1,
    }
    fields.update(overrides)
    return MessageFilter(**fields)


async def latest_message(request: Request) -> Response:
    """The newest message matching the filters, with its bodies: the one call a test
    needs after SignUp (`?recipient=user@example.com`)."""
    services = services_of(request)
    try:
        where = _filter_from(request.query_params)
    except ValueError:
        return admin_error(400, "InvalidRequest", "since must be a number")

    def read() -> dict[str, Any] | None:
        with services.db.transaction(readonly=True) as tx:
            found = queries.list_messages(tx, where)
            return queries.full_message(tx, found[0]["id"]) if found else None

    message = await services.inline.read(read)
    if message is None:
        return admin_error(404, "NotFound", "No message matches.")
    return JSONResponse(message)


async def wait_for_message(request: Request) -> Response:
    """Long-poll: answer with the first matching message created after `since` (default:
    the moment of the request), or 408 after `timeout` seconds (default 10, at most 60)."""
    services = services_of(request)
    query = request.query_params
    try:
        timeout = min(float(query.get("timeout", "10")), WAIT_LIMIT_SECONDS)
        since = _number(query.get("since"))
        where = _filter_from(
            query, since=since if since is not None else services.clock.now().timestamp()
        )
    except ValueError:
        return admin_error(400, "InvalidRequest", "since and timeout must be numbers")

    def read() -> dict[str, Any] | None:
        with services.db.transaction(readonly=True) as tx:
            found = queries.list_messages(tx, where)
            return queries.full_message(tx, found[0]["id"]) if found else None

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await services.inline.read(read)
        if message is not None:
            return JSONResponse(message)
        if asyncio.get_running_loop().time() >= deadline:
            return admin_error(408, "Timeout", f"No matching message within {timeout:g} s.")
        await asyncio.sleep(POLL_SECONDS)


_ATTACHMENTS = "/_poolmail/messages/{message_id}/attachments"
ROUTES: list[BaseRoute] = [
    Route("/_poolmail/messages/latest", latest_message, methods=["GET"]),
    Route("/_poolmail/messages/wait", wait_for_message, methods=["GET"]),
    Route("/_aws/ses", localstack_messages, methods=["GET", "DELETE"]),
    Route("/_poolmail/messages", list_messages, methods=["GET", "DELETE"]),
    Route("/_poolmail/messages/{message_id}", one_message, methods=["GET", "DELETE"]),
    Route("/_poolmail/messages/{message_id}/raw", raw_message, methods=["GET"]),
    Route("/_poolmail/messages/{message_id}/events", message_events, methods=["GET"]),
    Route(_ATTACHMENTS, message_attachments, methods=["GET"]),
    Route(_ATTACHMENTS + "/{index:int}", one_attachment, methods=["GET"]),
]
JOBS: list[Job] = []
