"""What every page does around its own work: check the authorization request it carries,
read its form, and end a sign-in by completing the request (the redirect with a code or
tokens, and the managed login session cookie)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from poolmail.cognito.oauth import authorization, hosted_sessions
from poolmail.cognito.oauth.authorization import AuthorizationError
from poolmail.cognito.threats import risk_responses
from poolmail.cognito.users.users import StoredUser
from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import rendering, steps
from poolmail.hosted.pages.site import Visit, open_visit

# Choice: Cognito's text for a form without its `_csrf` token was not found; its generic
# error page text [facts 1.1] with a 403.
CSRF_REFUSED = "An error was encountered with the requested page."
# Forms are small; a larger body is no sign-in.
MAX_FORM = 64 * 1024


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302)


def refused(call: HostedCall, error: AuthorizationError) -> Response:
    """Back to the client with the error, or the domain's error page when the client or
    its redirect URI is what is wrong."""
    target = error.redirect_url
    return redirect(target if target is not None else call.url("/error", error.page_query))


async def open_page(call: HostedCall) -> Visit | Response:
    """The page's visit, or the response that refuses its authorization request."""
    ctx = call.ctx
    # At managed login the browser itself is the client: its address is the sign-in's
    # for threat protection's IP range lists and the auth events, where API calls name
    # one in ContextData. Kept for this request only (a context variable).
    peer = call.request.client
    risk_responses.note_sign_in({"UserContextData": {"IpAddress": peer.host}} if peer else {})
    params = call.request.query_params.multi_items()
    try:
        checked = await run_in_threadpool(
            authorization.parse_authorization_request, ctx, call.domain, params
        )
        return await open_visit(call, checked)
    except AuthorizationError as error:
        return refused(call, error)


async def form_of(call: HostedCall) -> dict[str, str] | None:
    """The posted form's fields (the first of each name); None when the body is no
    URL-encoded form or is too large for one."""
    request = call.request
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM:
        return None
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        # No Cognito value may hold a NUL (the model's patterns exclude control
        # characters), and PostgreSQL's text cannot: it goes before any lookup.
        fields.setdefault(key.replace("\x00", ""), value.replace("\x00", ""))
    return fields


async def posted_form(
    call: HostedCall,
    on_get: Callable[[Visit], Response],
    *,
    gate: Callable[[Visit], Response | None] | None = None,
) -> tuple[Visit, dict[str, str]] | Response:
    """A form page's visit and the form posted to it; or the response that ends the
    request first: the refusal of its authorization request, ``gate``'s refusal of the
    visit, ``on_get``'s page for a GET, the refusal of a form without its CSRF token."""
    visit = await open_page(call)
    if isinstance(visit, Response):
        return visit
    if gate is not None and (stop := gate(visit)) is not None:
        return stop
    if call.request.method == "GET":
        return on_get(visit)
    form = await checked_form(visit)
    if isinstance(form, Response):
        return form
    return visit, form


async def checked_form(visit: Visit) -> dict[str, str] | Response:
    """The form posted to ``visit``'s page, or the refusal of one without its CSRF token."""
    form = await form_of(visit.call)
    if form is None or not rendering.csrf_ok(visit.request, form):
        return csrf_refused(visit)
    return form


def client_params(visit: Visit, username: str, **more: Any) -> dict[str, Any]:
    """A public operation's parameters as the page's app client sends them, SECRET_HASH
    included for a client with a secret."""
    params: dict[str, Any] = {"ClientId": visit.client.id, "Username": username, **more}
    hashed = steps.secret_hash(visit.client, username)
    if hashed is not None:
        params["SecretHash"] = hashed
    return params


def csrf_refused(visit: Visit) -> Response:
    return show(
        visit,
        "message.html",
        "Error",
        status=403,
        error=CSRF_REFUSED,
        text="The form expired or came from another site. Start again from the sign-in page.",
        link_url=visit.url("/login"),
        link_text="Sign in",
    )


async def finish(visit: Visit, user: StoredUser) -> Response:
    """The signed-in user's redirect: the code (or tokens) for the client, and the
    managed login session cookie."""
    ctx = visit.context("Authorize")
    try:
        done = await run_in_threadpool(
            authorization.complete, ctx, visit.authorization, user.username
        )
    except AuthorizationError as error:
        return refused(visit.call, error)
    response = redirect(done.redirect_url)
    if done.session_cookie is not None:
        response.set_cookie(
            hosted_sessions.COOKIE,
            done.session_cookie,
            max_age=done.session_max_age,
            path=visit.call.cookie_path,
            httponly=True,
            secure=visit.request.url.scheme == "https",
            samesite="lax",
        )
    return response


def show(
    visit: Visit,
    template: str,
    title: str,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    **values: Any,
) -> Response:
    """A page of ``visit``'s client, in its look."""
    return rendering.page(
        visit.request,
        visit.call.cookie_path,
        template,
        status,
        title=title,
        look=visit.look,
        app_name=visit.client.name,
        error=error,
        notice=notice,
        **values,
    )


def delivery_of(result: dict[str, Any]) -> dict[str, str] | None:
    """Where a code went, as the pages say it: ("email", "j***@e***")."""
    details = result.get("CodeDeliveryDetails") or {}
    if not details.get("Destination"):
        return None
    medium = "SMS" if details.get("DeliveryMedium") == "SMS" else "email"
    return {"medium": medium, "destination": str(details["Destination"])}
