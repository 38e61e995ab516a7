"""poolmail's endpoints for Cognito threat protection: the risk level of a user's next
sign-in (what AWS's adaptive authentication would assess from device and place, which a
local server cannot), and the one-click feedback links of the notification mails.
"""

from __future__ import annotations

import html
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.cognito.threats import risk_events, risk_responses
from poolmail.cognito.users.users import find_user
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job


async def next_risk(request: Request) -> JSONResponse:
    """`{"level": "low" | "medium" | "high" | null}`: the risk of the user's next sign-in
    (null: none). Used once, by that sign-in."""
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    name = request.path_params["username"]
    body = await json_body(request)
    if body is None or "level" not in body:
        return admin_error(400, "InvalidRequest", 'the body must be {"level": "low|medium|high"}')
    level = body["level"]
    if level is not None and (
        not isinstance(level, str) or level.lower() not in risk_responses.LEVELS
    ):
        return admin_error(400, "InvalidRequest", "level must be low, medium, high or null")
    chosen = level.lower() if isinstance(level, str) else None

    def run() -> str | JSONResponse:
        with services.db.transaction() as tx:
            pool = risk_responses.pool_for_admin(tx, pool_id)
            if pool is None:
                return admin_error(404, "NotFound", f"user pool {pool_id} does not exist")
            user = find_user(tx, pool, name)
            if user is None:
                return admin_error(404, "NotFound", f"user {name} does not exist in {pool_id}")
            risk_responses.set_next_risk(tx, pool, user.username, chosen)
            return user.username

    done = await run_in_threadpool(run)
    if isinstance(done, JSONResponse):
        return done
    return JSONResponse({"pool_id": pool_id, "username": done, "level": chosen})


async def feedback(request: Request) -> HTMLResponse:
    """The target of `{one-click-link-valid}` / `{one-click-link-invalid}`: the user's
    UpdateAuthEventFeedback, with the event's token from the mail."""
    services = services_of(request)
    query = request.query_params
    params = {
        "UserPoolId": request.path_params["pool_id"],
        "EventId": request.path_params["event_id"],
        "Username": query.get("username", ""),
        "FeedbackToken": query.get("token", ""),
        "FeedbackValue": query.get("value", ""),
    }
    if params["FeedbackValue"] not in ("Valid", "Invalid"):
        return HTMLResponse("<p>The link's value must be Valid or Invalid.</p>", status_code=400)
    ctx = RequestContext(
        service="cognito-idp",
        operation="UpdateAuthEventFeedback",
        account_id=services.settings.account_id,
        region=services.settings.default_region,
        request_id=str(uuid.uuid4()),
        signed=False,
        db=services.db,
        clock=services.clock,
        settings=services.settings,
        base_url=str(request.base_url).rstrip("/"),
    )
    try:
        await run_in_threadpool(risk_events.update_auth_event_feedback, ctx, params)
    except AwsError as error:
        return HTMLResponse(f"<p>{html.escape(error.message)}</p>", status_code=400)
    return HTMLResponse("<p>Thank you: your feedback was recorded.</p>")


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/cognito/pools/{pool_id}/users/{username}/risk", next_risk, methods=["POST"]),
    Route(
        "/_poolmail/cognito/feedback/{pool_id}/{event_id}",
        feedback,
        methods=["GET"],
    ),
]
JOBS: list[Job] = []
