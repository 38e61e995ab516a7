"""The SMS outbox over HTTP: `/_poolmail/sms` lists, waits for and clears the texts user
pools sent, as `/_poolmail/messages` does for mail."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.background import Job
from poolmail.sms import queries
from poolmail.sms.queries import SmsFilter

MAX_LIMIT = 1000
WAIT_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.1


def _number(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _filter_from(query: QueryParams, **overrides: Any) -> SmsFilter:
    """The filters a request names; ValueError when a number is not one. `to` is an alias
    of `destination`, `pool` of `pool_id`."""
    fields: dict[str, Any] = {
        "destination": query.get("destination") or query.get("to") or None,
        "pool_id": query.get("pool_id") or query.get("pool") or None,
        "username": query.get("username") or None,
        "kind": query.get("kind") or None,
        "since": _number(query.get("since")),
        "until": _number(query.get("until")),
        "account": query.get("account") or None,
        "region": query.get("region") or None,
        "limit": min(int(query.get("limit", "100")), MAX_LIMIT),
    }
    fields.update(overrides)
    return SmsFilter(**fields)


async def list_sms(request: Request) -> Response:
    services = services_of(request)
    if request.method == "DELETE":

        def clear() -> int:
            with services.db.transaction() as tx:
                return queries.delete_sms(tx)

        return JSONResponse({"deleted": await run_in_threadpool(clear)})
    try:
        where = _filter_from(request.query_params)
    except ValueError:
        return admin_error(400, "InvalidRequest", "since, until and limit must be numbers")

    def read() -> list[dict[str, Any]]:
        with services.db.transaction(readonly=True) as tx:
            return queries.list_sms(tx, where)

    return JSONResponse({"messages": await run_in_threadpool(read)})


async def one_sms(request: Request) -> Response:
    services = services_of(request)
    sms_id = request.path_params["sms_id"]
    if request.method == "DELETE":

        def delete() -> int:
            with services.db.transaction() as tx:
                return queries.delete_sms(tx, sms_id)

        if not await run_in_threadpool(delete):
            return admin_error(404, "NotFound", f"No SMS {sms_id}.")
        return Response(status_code=204)

    def read() -> dict[str, Any] | None:
        with services.db.transaction(readonly=True) as tx:
            return queries.one_sms(tx, sms_id)

    found = await services.inline.read(read)
    if found is None:
        return admin_error(404, "NotFound", f"No SMS {sms_id}.")
    return JSONResponse(found)


async def latest_sms(request: Request) -> Response:
    """The newest text matching the filters: the one call a test needs after a SignUp
    that verifies a phone number (`?to=+15550100` or `?username=jane`)."""
    services = services_of(request)
    try:
        where = _filter_from(request.query_params, limit=1)
    except ValueError:
        return admin_error(400, "InvalidRequest", "since, until and limit must be numbers")

    def read() -> list[dict[str, Any]]:
        with services.db.transaction(readonly=True) as tx:
            return queries.list_sms(tx, where)

    found = await services.inline.read(read)
    if not found:
        return admin_error(404, "NotFound", "No SMS matches.")
    return JSONResponse(found[0])


async def wait_for_sms(request: Request) -> Response:
    """Long-poll: answer with the first matching text created after `since` (default: the
    moment of the request), or 408 after `timeout` seconds (default 10, at most 60)."""
    services = services_of(request)
    query = request.query_params
    try:
        timeout = min(float(query.get("timeout", "10")), WAIT_LIMIT_SECONDS)
        since = _number(query.get("since"))
        now = services.clock.now().timestamp()
        where = _filter_from(query, since=now if since is None else since, limit=1)
    except ValueError:
        return admin_error(400, "InvalidRequest", "since and timeout must be numbers")

    def read() -> list[dict[str, Any]]:
        with services.db.transaction(readonly=True) as tx:
            # The oldest match after `since` is the next text, not the newest one.
            return queries.list_sms(tx, dataclasses.replace(where, limit=MAX_LIMIT))[-1:]

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await services.inline.read(read)
        if found:
            return JSONResponse(found[0])
        if asyncio.get_running_loop().time() >= deadline:
            return admin_error(408, "Timeout", f"No matching SMS within {timeout:g} s.")
        await asyncio.sleep(POLL_SECONDS)


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/sms/latest", latest_sms, methods=["GET"]),
    Route("/_poolmail/sms/wait", wait_for_sms, methods=["GET"]),
    Route("/_poolmail/sms", list_sms, methods=["GET", "DELETE"]),
    Route("/_poolmail/sms/{sms_id}", one_sms, methods=["GET", "DELETE"]),
]
JOBS: list[Job] = []
