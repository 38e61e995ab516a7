"""`/forgotPassword` and `/confirmForgotPassword`: a password reset through ForgotPassword
and ConfirmForgotPassword, with the same mail by the same path as the API's [facts 7].
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import flow, labels, rendering, steps
from poolmail.hosted.pages.sign_in_form import (
    LOGIN,
    MISSING_FIELDS,
    PASSWORDS_DIFFER,
    login_form,
)
from poolmail.hosted.pages.site import Visit
from poolmail.protocol.errors import AwsError

FORGOT = "/forgotPassword"
CONFIRM_FORGOT = "/confirmForgotPassword"
# Choice (not found): what the login page says after a reset.
RESET_DONE = "Your password has been reset. Sign in with your new password."


def _forgot_form(
    visit: Visit, *, username: str = "", status: int = 200, error: str | None = None
) -> Response:
    return flow.show(
        visit,
        "forgot.html",
        "Forgot your password?",
        status=status,
        error=error,
        action=visit.url(FORGOT),
        login_url=visit.url(LOGIN),
        name_label=labels.name_label(visit.pool),
        username=username,
    )


def _confirm_form(
    visit: Visit,
    username: str,
    *,
    delivery: dict[str, str] | None = None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    return flow.show(
        visit,
        "confirm_forgot.html",
        "Reset your password",
        status=status,
        error=error,
        action=visit.url(CONFIRM_FORGOT),
        login_url=visit.url(LOGIN),
        username=username,
        delivery=delivery,
        hints=labels.password_hints(visit.pool),
    )


def _with_secret(visit: Visit, params: dict[str, Any], username: str) -> dict[str, Any]:
    hashed = steps.secret_hash(visit.client, username)
    if hashed is not None:
        params["SecretHash"] = hashed
    return params


async def start_reset(visit: Visit, username: str) -> Response:
    """Send the reset code (ForgotPassword) and show where to enter it."""
    params = _with_secret(visit, {"ClientId": visit.client.id, "Username": username}, username)
    try:
        result = await visit.run("ForgotPassword", params)
    except AwsError as refused:
        return _forgot_form(visit, username=username, status=400, error=refused.message)
    return _confirm_form(visit, username, delivery=flow.delivery_of(result))


async def forgot_password(call: HostedCall) -> Response:
    visit = await flow.open_page(call)
    if isinstance(visit, Response):
        return visit
    if call.request.method == "GET":
        return _forgot_form(visit)
    form = await flow.form_of(call)
    if form is None or not rendering.csrf_ok(call.request, form):
        return flow.csrf_refused(visit)
    username = form.get("username", "").strip()
    if not username:
        return _forgot_form(visit, status=400, error=MISSING_FIELDS)
    return await start_reset(visit, username)


async def confirm_forgot_password(call: HostedCall) -> Response:
    visit = await flow.open_page(call)
    if isinstance(visit, Response):
        return visit
    if call.request.method == "GET":
        return _confirm_form(visit, call.request.query_params.get("username", ""))
    form = await flow.form_of(call)
    if form is None or not rendering.csrf_ok(call.request, form):
        return flow.csrf_refused(visit)
    username = form.get("username", "").strip()
    code = form.get("code", "").strip()
    password = form.get("password", "")
    if not (username and code and password):
        return _confirm_form(visit, username, status=400, error=MISSING_FIELDS)
    if password != form.get("confirm_password", ""):
        return _confirm_form(visit, username, status=400, error=PASSWORDS_DIFFER)
    params = {
        "ClientId": visit.client.id,
        "Username": username,
        "ConfirmationCode": code,
        "Password": password,
    }
    try:
        await visit.run("ConfirmForgotPassword", _with_secret(visit, params, username))
    except AwsError as refused:
        return _confirm_form(visit, username, status=400, error=refused.message)
    return login_form(visit, username=username, notice=RESET_DONE)
