"""A pool domain's OAuth 2.0 / OpenID Connect endpoints: /oauth2/authorize, /oauth2/token,
/oauth2/userInfo, /oauth2/revoke, /logout and the /error page, as Cognito answers them.
The logic is cognito/oauth's; this module speaks HTTP.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from poolmail.cognito.clients.clients import find_client
from poolmail.cognito.federation import redirects
from poolmail.cognito.oauth import grants, hosted_sessions, metadata_clients, userinfo
from poolmail.cognito.oauth.authorization import (
    LOGIN_REQUIRED,
    AuthorizationError,
    AuthorizationRequest,
    complete,
    parse_authorization_request,
)
from poolmail.cognito.pools import session_configuration
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.users.users import find_user
from poolmail.hosted.call import Endpoint, HostedCall
from poolmail.operations import LeaveLoop, running_on_loop

# AWS's error page reads so whatever the cause [obs, facts 1.1].
ERROR_TEXT = "An error was encountered with the requested page."
# /logout without a usable logout_uri or redirect_uri [obs amplify-js#2423, #1298].
LOGOUT_REFUSED = "Required String parameter 'redirect_uri' is not present"
_FORM = "application/x-www-form-urlencoded"
# Errors of the token and revocation endpoints [doc TOKEN].
_JSON_UTF8 = "application/json;charset=UTF-8"
_CORS = {"Access-Control-Allow-Origin": "*"}
_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": "Authorization,Content-Type",
    "Access-Control-Max-Age": "86400",
}


def _redirect(url: str, status: int = 302) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def _to_error_page(call: HostedCall, error: AuthorizationError) -> RedirectResponse:
    # "browser sent to https://<domain>/error?error=redirect_mismatch&client_id=<id>" [obs].
    return _redirect(call.url("/error", error.page_query))


def _refusal(call: HostedCall, error: AuthorizationError) -> RedirectResponse:
    url = error.redirect_url
    return _redirect(url) if url is not None else _to_error_page(call, error)


def _set_session(call: HostedCall, response: Response, value: str, max_age: int) -> None:
    response.set_cookie(
        hosted_sessions.COOKIE,
        value,
        max_age=max_age,
        path=call.cookie_path,
        httponly=True,
        secure=call.request.url.scheme == "https",
        samesite="lax",
    )


def _resume(call: HostedCall, request: AuthorizationRequest) -> str | None:
    """The completed redirect when the browser's managed login session still serves the
    client ("a valid cookie lets authorize return a code without a form" [doc IDT])."""
    value = call.request.cookies.get(hosted_sessions.COOKIE, "")
    if not value:
        return None
    ctx = call.ctx
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        session = hosted_sessions.find(tx, request.pool_id, value, now)
        client = find_client(tx, request.client_id)
        if session is None or client is None:
            return None
        pool = load_pool(tx, ctx, request.pool_id)
        user = find_user(tx, pool, session.username)
    if user is None or user.sub != session.sub or not user.enabled:
        return None
    # The client's own SSO session validity decides whether it reuses the session.
    reuse = session_configuration.sso_reuse_minutes(pool.settings, client) * 60
    if session.created_at + reuse <= now:
        return None
    done = complete(ctx, request, user.username, auth_time=session.auth_time, start_session=False)
    return done.redirect_url


async def authorize(call: HostedCall) -> Response:
    """GET /oauth2/authorize [doc AUTH]: to the IdP, straight back with a code while the
    session lives, or to /login "with the same URL parameters"."""
    params = call.request.query_params.multi_items()

    def run() -> Response:
        try:
            request = parse_authorization_request(call.ctx, call.domain, params)
            if request.identity_provider is not None:
                return _redirect(redirects.start(call.ctx, request, call.base))
            if "login" not in request.prompt:
                resumed = _resume(call, request)
                if resumed is not None:
                    return _redirect(resumed)
            if "none" in request.prompt:
                # Silent authentication without a session [facts 1.1].
                raise request.refuse(LOGIN_REQUIRED)
        except AuthorizationError as error:
            return _refusal(call, error)
        return _redirect(call.page_url("/login", request))

    return await run_in_threadpool(run)


def _oauth_json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    headers = {**_CORS, "Cache-Control": "no-store", "Pragma": "no-cache"}
    if status != 200:
        return JSONResponse(body, status, headers, media_type=_JSON_UTF8)
    return JSONResponse(body, status, headers)


async def _form(call: HostedCall) -> dict[str, str] | None:
    """The url-encoded body's parameters (the first of each), or None for another type."""
    content_type = call.request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != _FORM:
        return None
    body = (await call.request.body()).decode("utf-8", "replace")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        # Choice: a NUL (which no parameter of Cognito's can hold) makes a malformed body.
        if "\x00" in key + value:
            return None
        form.setdefault(key, value)
    return form


async def _oauth_post(
    call: HostedCall,
    work: Callable[[grants.ClientAuth, dict[str, str]], Response],
    *,
    token_endpoint: bool = False,
) -> Response:
    if call.request.method == "OPTIONS":
        return Response(status_code=200, headers=_PREFLIGHT)
    form = await _form(call)
    if form is None:
        # Choice (AWS's answer not found): a body of another type is invalid_request.
        return _oauth_json({"error": grants.INVALID_REQUEST}, 400)

    def run() -> Response:
        try:
            auth = grants.client_auth(call.request.headers.get("authorization"), form)
            return work(auth, form)
        except grants.OAuthError as error:
            return _oauth_json(error.body(), error.status)

    if token_endpoint and _on_loop(call, form):
        # As server/inline.py runs the API's short local operations: handing the work to
        # a thread and back costs as much CPU as the work itself.
        try:
            with running_on_loop():
                return run()
        except LeaveLoop:
            pass  # a pool with triggers: nothing written yet, so run again in a thread
    return await run_in_threadpool(run)


def _on_loop(call: HostedCall, form: dict[str, str]) -> bool:
    """Whether this token request may run on the event loop: a client_credentials grant
    (reads, and one signature) of an app client (a CIMD client's document may have to be
    fetched), on a local store no worker thread is writing to."""
    if form.get("grant_type") != "client_credentials" or call.request.method != "POST":
        return False
    try:
        auth = grants.client_auth(call.request.headers.get("authorization"), form)
    except grants.OAuthError:
        return False  # answered in a thread, as before
    db = call.ctx.db
    return not metadata_clients.is_metadata_url(auth.client_id or "") and db.local and db.quiet()


async def token(call: HostedCall) -> Response:
    """POST /oauth2/token [doc TOKEN]."""

    def work(auth: grants.ClientAuth, form: dict[str, str]) -> Response:
        return _oauth_json(grants.token(call.ctx, call.domain, auth, form))

    return await _oauth_post(call, work, token_endpoint=True)


async def revoke(call: HostedCall) -> Response:
    """POST /oauth2/revoke [doc REVOKE]: 200 with an empty body."""

    def work(auth: grants.ClientAuth, form: dict[str, str]) -> Response:
        ctx = dataclasses.replace(call.ctx, operation="RevokeToken")
        grants.revoke(ctx, call.domain, auth, form)
        return Response(status_code=200, headers=_CORS)

    return await _oauth_post(call, work)


async def user_info(call: HostedCall) -> Response:
    """GET or POST /oauth2/userInfo with a Bearer access token [doc USERINFO]."""
    if call.request.method == "OPTIONS":
        return Response(status_code=200, headers=_PREFLIGHT)
    authorization = call.request.headers.get("authorization")
    try:
        body = await run_in_threadpool(userinfo.user_info, call.ctx, call.domain, authorization)
    except userinfo.UserInfoError as error:
        return Response(
            status_code=error.status,
            headers={**_CORS, "WWW-Authenticate": error.challenge()},
        )
    return JSONResponse(body, headers=_CORS, media_type=_JSON_UTF8)


def _logout_target(call: HostedCall, query: dict[str, str]) -> str | None:
    """Where /logout sends the browser [doc LOGOUT]: `logout_uri` (a LogoutURL) "ignoring
    all other request parameters", else /login with `redirect_uri` (a CallbackURL) and the
    other authorize parameters; None when neither is usable."""
    with call.ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, query.get("client_id", ""))
    if client is None or client.pool_id != call.domain.pool_id:
        return None
    logout_uri = query.get("logout_uri")
    if logout_uri is not None:
        listed = client.settings.get("LogoutURLs") or []
        return logout_uri if logout_uri in listed else None
    if query.get("redirect_uri") is None or query.get("response_type") is None:
        return None
    try:
        request = parse_authorization_request(call.ctx, call.domain, query)
    except AuthorizationError:
        return None
    return call.page_url("/login", request)


async def logout(call: HostedCall) -> Response:
    """GET /logout: ends the managed login session, clears its cookie, then redirects."""
    query = dict(call.request.query_params)
    value = call.request.cookies.get(hosted_sessions.COOKIE, "")

    def run() -> str | None:
        target = _logout_target(call, query)
        if target is not None and value:
            # A SAML IdP with IDPSignout signs the user out first (federation's /saml2/logout
            # then goes on to the target).
            target = redirects.sign_out(call.ctx, call.domain.pool_id, value, target, call.base)
            with call.ctx.db.transaction() as tx:
                hosted_sessions.end(tx, value)
        return target

    target = await run_in_threadpool(run)
    if target is None:
        # Nothing changes on a refused logout: the session goes on.
        return _page(LOGOUT_REFUSED)
    response = _redirect(target)
    response.delete_cookie(hosted_sessions.COOKIE, path=call.cookie_path)
    return response


def _page(detail: str) -> HTMLResponse:
    # Choice: status 400 (AWS's not found), the cause under AWS's sentence.
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Error</title></head>\n<body><main>"
        f"<h1>{html.escape(ERROR_TEXT)}</h1>"
        + (f"<p>{html.escape(detail)}</p>" if detail else "")
        + "</main></body></html>\n"
    )
    return HTMLResponse(body, status_code=400)


async def error_page(call: HostedCall) -> Response:
    """GET /error?error=...&client_id=...: AWS's page for a request it cannot send back to
    the app."""
    return _page(call.request.query_params.get("error", ""))


ENDPOINTS: list[Endpoint] = [
    Endpoint("/oauth2/authorize", ("GET",), authorize),
    Endpoint("/oauth2/token", ("POST", "OPTIONS"), token),
    Endpoint("/oauth2/revoke", ("POST", "OPTIONS"), revoke),
    Endpoint("/oauth2/userInfo", ("GET", "POST", "OPTIONS"), user_info),
    Endpoint("/logout", ("GET",), logout),
    Endpoint("/error", ("GET",), error_page),
]
