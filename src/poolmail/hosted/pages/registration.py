"""`/signup`, `/confirmUser` (also `/confirm`) and `/resendcode`: self-registration through
SignUp, ConfirmSignUp and ResendConfirmationCode, so the same mails go out by the same
path as the API's [facts 7]. A confirmed sign-up signs in at once with ConfirmSignUp's
Session, as managed login continues to the app after its confirmation page.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from poolmail.cognito.clients import terms
from poolmail.cognito.users import signup as signup_flow
from poolmail.cognito.users.users import public_client
from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import flow, labels, login, rendering, steps
from poolmail.hosted.pages.sign_in_form import LOGIN, MISSING_FIELDS, login_form
from poolmail.hosted.pages.site import Visit
from poolmail.protocol.errors import AwsError

SIGN_UP = "/signup"
CONFIRM = "/confirmUser"
RESEND = "/resendcode"
# Managed login's texts after a confirmation link.
CONFIRMED = "Your registration has been confirmed!"
# Choice (not found): what the page says when the pool verifies no attribute, so no code
# was sent and only an administrator can confirm the account.
NO_CODE = "Your account was created. An administrator must confirm it before you can sign in."


def _username_fields(visit: Visit) -> tuple[str, str, tuple[str, ...]]:
    """(label, input type, attributes the user name stands for) of the sign-up form."""
    names = tuple(visit.pool.settings.get("UsernameAttributes") or ())
    label = labels.name_label(visit.pool)
    kind = {"Email": "email", "Phone number": "tel"}.get(label, "text")
    # With one sign-in attribute, the user name is that attribute: not asked twice.
    return label, kind, names if len(names) == 1 else ()


def _form(
    visit: Visit,
    *,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    label, kind, skip = _username_fields(visit)

    def links() -> dict[str, str] | None:
        with visit.call.ctx.db.transaction(readonly=True) as tx:
            return terms.sign_up_links(tx, visit.client.id, visit.authorization.lang or "en")

    return flow.show(
        visit,
        "signup.html",
        "Sign up",
        status=status,
        error=error,
        action=visit.url(SIGN_UP),
        login_url=visit.url(LOGIN),
        name_label=label,
        name_type=kind,
        attributes=labels.required_attributes(visit.pool, skip=skip),
        hints=labels.password_hints(visit.pool),
        terms=links(),
        values=values or {},
    )


def confirm_form(
    visit: Visit,
    username: str,
    *,
    session: str = "",
    delivery: dict[str, str] | None = None,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    return flow.show(
        visit,
        "confirm.html",
        "Confirm your account",
        status=status,
        error=error,
        notice=notice,
        action=visit.url(CONFIRM),
        resend_action=visit.url(RESEND),
        name_label=labels.name_label(visit.pool),
        username=username,
        session=session,
        delivery=delivery,
    )


def _admin_only(visit: Visit) -> bool:
    config = visit.pool.settings.get("AdminCreateUserConfig") or {}
    return bool(config.get("AllowAdminCreateUserOnly"))


def _sign_up_refused(visit: Visit) -> Response | None:
    """SignUp's own refusal, where the page would otherwise offer a form that fails."""
    if not _admin_only(visit):
        return None
    return flow.show(
        visit,
        "message.html",
        "Sign up",
        status=400,
        error="SignUp is not permitted for this user pool",
        text="",
        link_url=visit.url(LOGIN),
        link_text="Sign in",
    )


async def sign_up(call: HostedCall) -> Response:
    opened = await flow.posted_form(call, _form, gate=_sign_up_refused)
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    password = form.get("password", "")
    if not username or not password:
        return _form(visit, status=400, error=MISSING_FIELDS, values=form)
    attributes = [
        {"Name": name.removeprefix("attr:"), "Value": value.strip()}
        for name, value in form.items()
        if name.startswith("attr:") and value.strip()
    ]
    params = flow.client_params(visit, username, Password=password, UserAttributes=attributes)
    try:
        result = await visit.run("SignUp", params)
    except AwsError as refused:
        return _form(visit, status=400, error=refused.message, values=form)
    if result.get("UserConfirmed"):
        # Confirmed by a pre sign-up trigger: the password signs in.
        ctx = visit.context("InitiateAuth")
        try:
            step = await run_in_threadpool(
                steps.sign_in, ctx, visit.pool, visit.client, username, password
            )
        except AwsError as refused:
            return login_form(visit, status=400, error=refused.message, username=username)
        return await login.advance(visit, step)
    delivery = flow.delivery_of(result)
    if delivery is None:
        return flow.show(
            visit,
            "message.html",
            "Sign up",
            text=NO_CODE,
            link_url=visit.url(LOGIN),
            link_text="Sign in",
        )
    return confirm_form(
        visit, username, session=str(result.get("Session") or ""), delivery=delivery
    )


async def _confirm_link(call: HostedCall) -> Response:
    """The email link (`?client_id=&user_name=&confirmation_code=`) on the domain: the
    same confirmation as the link on the API's host (server/web/cognito_routes.py)."""
    query = call.request.query_params
    client_id, username = query.get("client_id", ""), query.get("user_name", "")
    code = query.get("confirmation_code", "")

    def run() -> None:
        scoped, client = public_client(call.ctx, client_id)
        signup_flow.confirm(scoped, client, username, code, force_alias=False)

    try:
        await run_in_threadpool(run)
    except AwsError as refused:
        return rendering.bare_page(call, 400, "Confirmation failed", refused.message)
    return rendering.bare_page(call, 200, CONFIRMED, "You can now sign in.")


def _confirm_page(call: HostedCall) -> Callable[[Visit], Response]:
    """The confirmation page a GET shows, for the user name in its query."""
    return lambda visit: confirm_form(visit, call.request.query_params.get("username", ""))


async def confirm(call: HostedCall) -> Response:
    if call.request.method == "GET" and call.request.query_params.get("confirmation_code"):
        return await _confirm_link(call)
    opened = await flow.posted_form(call, _confirm_page(call))
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    code = form.get("code", "").strip()
    session = form.get("session", "")
    if not username or not code:
        return confirm_form(visit, username, session=session, status=400, error=MISSING_FIELDS)
    params = flow.client_params(visit, username, ConfirmationCode=code)
    if session:
        params["Session"] = session
    try:
        result = await visit.run("ConfirmSignUp", params)
    except AwsError as refused:
        return confirm_form(visit, username, session=session, status=400, error=refused.message)
    if not session:
        # Confirmed without the sign-up's session (a new browser, a bookmarked page): the
        # user signs in with the password.
        return login_form(visit, username=username, notice=CONFIRMED)
    ctx = visit.context("InitiateAuth")
    try:
        step = await run_in_threadpool(
            steps.after_sign_up, ctx, visit.pool, visit.client, str(result["Session"])
        )
    except AwsError as refused:
        return login_form(visit, status=400, error=refused.message, username=username)
    return await login.advance(visit, step)


async def resend(call: HostedCall) -> Response:
    opened = await flow.posted_form(call, _confirm_page(call))
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    session = form.get("session", "")
    if not username:
        return confirm_form(visit, username, session=session, status=400, error=MISSING_FIELDS)
    try:
        result = await visit.run("ResendConfirmationCode", flow.client_params(visit, username))
    except AwsError as refused:
        return confirm_form(visit, username, session=session, status=400, error=refused.message)
    return confirm_form(
        visit,
        username,
        session=session,
        delivery=flow.delivery_of(result),
        notice="A new code is on its way.",
    )
