"""The mailbox over HTTP: LocalStack's `/_aws/ses` and poolmail's `/_poolmail/messages`."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from poolmail.mail import attachments, queries
from poolmail.mail.queries import MessageFilter
from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services
from poolmail.store.sqlite import SqliteDatabase

MAX_LIMIT = 1000


# Pieces of a listing read ahead of the one being written: enough to keep its reader busy
# while the event loop writes, few enough to stay small blocks of the heap, reused from one
# piece to the next (mail/queries.LISTING_PIECE_BYTES).
PIECES_AHEAD = 4
# How long a listing's reader keeps pace with its client before it reads the rest into
# memory: its read transaction holds a WAL snapshot (and its turn, LISTINGS_AT_ONCE),
# which a slow or stalled client must not keep (the WAL could not be checkpointed past it
# while writes go on). Ten thousand messages take ~15 ms to a client on this machine.
SLOW_CLIENT_SECONDS = 1.0
# Listings read at once (per app): each holds a reader connection and its page cache, a
# worker thread and its pieces in flight; sixteen at once left 18 MB more resident than
# one at a time, for no more listings a second. A stalled client holds its turn for at
# most SLOW_CLIENT_SECONDS: its listing is then read to the end.
LISTINGS_AT_ONCE = 2
_PREFIX, _SUFFIX = b'{"messages":[', b"]}"


def _listings(request: Request) -> anyio.CapacityLimiter:
    """The listings' turns (per app, made on its event loop at its first listing)."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "listings", None)
    if limiter is None:
        limiter = request.app.state.listings = anyio.CapacityLimiter(LISTINGS_AT_ONCE)
    return limiter


class _Abandoned(Exception):
    """The listing's answer is no longer being written: its reader stops."""


class _Pieces:
    """A listing's pieces, handed from the worker thread that reads them (``put``, then
    ``close``) to the event loop that writes them (``get``, then ``taken``)."""

    def __init__(self, *, patient: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        self._room = threading.Semaphore(PIECES_AHEAD)
        # Whether the reader waits for the writing at all (see _listing), and until when.
        self._patient = patient
        self._deadline = 0.0
        self._abandoned = False
        self.reader: asyncio.Future[None] | None = None

    def begin(self) -> None:
        """From the reader's thread, once it has its turn."""
        self._deadline = time.monotonic() + SLOW_CLIENT_SECONDS

    def put(self, piece: bytes) -> None:
        if self._abandoned:
            raise _Abandoned
        if self._patient:
            left = self._deadline - time.monotonic()
            self._patient = left > 0 and self._room.acquire(timeout=left)
        self._loop.call_soon_threadsafe(self._ready.put_nowait, piece)

    def close(self) -> None:
        # From the reader's thread, so it arrives after its pieces.
        self._loop.call_soon_threadsafe(self._ready.put_nowait, None)

    def fail(self, error: BaseException) -> None:
        self._ready.put_nowait(error)

    async def get(self) -> bytes | None:
        """The next piece, or None after the last; the reader's failure raises here."""
        item = await self._ready.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def waiting(self) -> bool:
        """Whether the next piece is there already."""
        return not self._ready.empty()

    def taken(self) -> None:
        self._room.release()

    def abandon(self) -> None:
        self._abandoned = True
        self._room.release()


class _PiecesResponse(Response):
    """`{"messages":[...]}` written piece by piece as its reader hands them over (chunked:
    its length is known only at the end)."""

    media_type = "application/json"

    def __init__(self, pieces: _Pieces, read: list[bytes]) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers()
        self._pieces = pieces
        self._read = read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pieces = self._pieces
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            first, *rest = self._read
            self._read = []
            await send({"type": "http.response.body", "body": _PREFIX + first, "more_body": True})
            pieces.taken()
            for piece in rest:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                pieces.taken()
            while (following := await pieces.get()) is not None:
                await send({"type": "http.response.body", "body": following, "more_body": True})
                pieces.taken()
                if pieces.waiting():
                    # Each piece in a round of the loop of its own: writes made in one
                    # round are sent joined at its end (server/coalesce.py), and pieces
                    # joined would make a block as large as those the pieces avoid.
                    await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": _SUFFIX, "more_body": False})
        finally:
            pieces.abandon()


async def _listing(
    services: Services, where: MessageFilter, limiter: anyio.CapacityLimiter | None = None
) -> Response:
    """The LocalStack listing of ``where``'s messages. Its pieces are read in one read-only
    transaction on a worker thread and written as they come, so a listing holds a few
    pieces rather than its whole answer (4 MB for ten thousand messages) and each copy of
    it (bench/notes.md, optimisation 9). A listing of one piece is answered whole, with its
    length, as before.

    The in-memory database's one connection is everyone's: a listing there reads on
    without waiting for its client, as it read whole before."""
    db = services.db
    pieces = _Pieces(patient=not (isinstance(db, SqliteDatabase) and db.in_memory))

    def read() -> None:
        pieces.begin()
        with db.transaction(readonly=True) as tx:
            for piece in queries.localstack_listing(tx, where, db.dialect):
                pieces.put(piece)
        pieces.close()

    async def run() -> None:
        try:
            await anyio.to_thread.run_sync(read, limiter=limiter)
        except _Abandoned:
            pass
        except BaseException as error:
            pieces.fail(error)
            if not isinstance(error, Exception):
                raise

    # Kept: the loop holds its tasks weakly.
    pieces.reader = asyncio.ensure_future(run())
    try:
        first = await pieces.get()
        following = None if first is None else await pieces.get()
    except BaseException:
        pieces.abandon()
        raise
    if first is None or following is None:
        body = _PREFIX + (first or b"") + _SUFFIX
        return Response(body, media_type="application/json")
    return _PiecesResponse(pieces, [first, following])


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

    return await _listing(services, where, _listings(request))


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
