"""poolmail's switch for point-in-time recovery history, per user pool.

AWS keeps every Essentials or Plus pool's history; poolmail keeps it only for the pools
named here, so other pools' sign-up and sign-in write no history
(cognito/continuity/user_history.py). `POST /_poolmail/cognito/point-in-time-recovery`
`{"user_pool_id": "...", "enabled": true}` starts it (false stops it and forgets the
history); `GET ...?user_pool_id=` reads it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.cognito.continuity import user_history
from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job

PATH = "/_poolmail/cognito/point-in-time-recovery"


async def point_in_time_recovery(request: Request) -> JSONResponse:
    services = services_of(request)
    body = await json_body(request) if request.method == "POST" else None
    if request.method == "POST":
        if body is None:
            return admin_error(400, "InvalidRequest", "the body must be a JSON object")
        pool_id, enabled = body.get("user_pool_id"), body.get("enabled")
        if not isinstance(enabled, bool):
            return admin_error(400, "InvalidRequest", "enabled must be true or false")
    else:
        pool_id, enabled = request.query_params.get("user_pool_id"), None
    if not isinstance(pool_id, str) or not pool_id:
        return admin_error(400, "InvalidRequest", "user_pool_id is required")
    now = services.clock.now().timestamp()

    def run() -> tuple[bool, float | None]:
        with services.db.transaction() as tx:
            if tx.fetchone("SELECT 1 FROM user_pools WHERE id = ?", (pool_id,)) is None:
                return False, None
            if enabled is None:
                return True, user_history.tracked_since(tx, pool_id)
            return True, user_history.track(tx, pool_id, enabled, now)

    found, since = await run_in_threadpool(run)
    if not found:
        return admin_error(404, "NotFound", f"User pool {pool_id} does not exist.")
    return JSONResponse({"user_pool_id": pool_id, "enabled": since is not None, "since": since})


ROUTES: list[BaseRoute] = [Route(PATH, point_in_time_recovery, methods=["GET", "POST"])]
JOBS: list[Job] = []
