"""`/forgotPassword` and `/confirmForgotPassword`: a password reset through ForgotPassword
and ConfirmForgotPassword, with the same mail by the same path as the API's [facts 7].
"""

from __future__ import annotations

from starlette.responses import Response

from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import flow, labels
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


async def start_reset(visit: Visit, username: str) -> Response:
    """Send the reset code (ForgotPassword) and show where to enter it."""
    try:
        result = await visit.run("ForgotPassword", flow.client_params(visit, username))
    except AwsError as refused:
        return _forgot_form(visit, username=username, status=400, error=refused.message)
    return _confirm_form(visit, username, delivery=flow.delivery_of(result))


async def forgot_password(call: HostedCall) -> Response:
    opened = await flow.posted_form(call, _forgot_form)
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    if not username:
        return _forgot_form(visit, status=400, error=MISSING_FIELDS)
    return await start_reset(visit, username)


async def confirm_forgot_password(call: HostedCall) -> Response:
    opened = await flow.posted_form(
        call, lambda visit: _confirm_form(visit, call.request.query_params.get("username", ""))
    )
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    code = form.get("code", "").strip()
    password = form.get("password", "")
    if not (username and code and password):
        return _confirm_form(visit, username, status=400, error=MISSING_FIELDS)
    if password != form.get("confirm_password", ""):
        return _confirm_form(visit, username, status=400, error=PASSWORDS_DIFFER)
    params = flow.client_params(visit, username, ConfirmationCode=code, Password=password)
    try:
        await visit.run("ConfirmForgotPassword", params)
    except AwsError as refused:
        return _confirm_form(visit, username, status=400, error=refused.message)
    return login_form(visit, username=username, notice=RESET_DONE)
