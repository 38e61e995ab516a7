"""Cognito's own web pages that poolmail serves: `/confirmUser`, the link of link-style
sign-up mail, which confirms the user as ConfirmSignUp does.
"""

from __future__ import annotations

import html
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from poolmail.cognito.messaging import messages
from poolmail.cognito.users.signup import confirm
from poolmail.cognito.users.users import public_client
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, text=text), status_code=status)


async def confirm_user(request: Request) -> HTMLResponse:
    """`?client_id=&user_name=&confirmation_code=`: confirm the sign-up, or say why not.

    The page text on success is the hosted UI's ("Your registration has been confirmed!");
    a failure shows AWS's error message for the same ConfirmSignUp.
    """
    services = services_of(request)
    query = request.query_params
    client_id = query.get("client_id", "")
    username = query.get("user_name", "")
    code = query.get("confirmation_code", "")
    if not (client_id and username and code):
        return _page(
            400,
            "Invalid confirmation link",
            "The link lacks its client_id, user_name or confirmation_code.",
        )
    ctx = RequestContext(
        service="cognito-idp",
        operation="ConfirmSignUp",
        account_id=services.settings.account_id,
        region=services.settings.default_region,
        request_id=str(uuid.uuid4()),
        signed=False,
        db=services.db,
        clock=services.clock,
        settings=services.settings,
        base_url=str(request.base_url).rstrip("/"),
    )

    def run() -> None:
        scoped, client = public_client(ctx, client_id)
        confirm(scoped, client, username, code, force_alias=False)

    try:
        await run_in_threadpool(run)
    except AwsError as error:
        status = (
            404 if error.code in ("ResourceNotFoundException", "UserNotFoundException") else 400
        )
        return _page(status, "Confirmation failed", html.escape(error.message))
    return _page(
        200,
        "Your registration has been confirmed!",
        f"The account {html.escape(username)} is confirmed. You can now sign in.",
    )


# AWS's docs show the link both as `/confirmUser?...` and `/confirmUser/?...`.
ROUTES: list[BaseRoute] = [
    Route(messages.LINK_PATH, confirm_user, methods=["GET"]),
    Route(messages.LINK_PATH + "/", confirm_user, methods=["GET"]),
]
JOBS: list[Job] = []
