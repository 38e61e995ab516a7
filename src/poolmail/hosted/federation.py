"""A pool domain's federation endpoints: /oauth2/idpresponse, where OIDC and social IdPs
send the user back with a code, and /saml2/idpresponse, the SAML assertion consumer
service. Both end in the app's redirect URI: with poolmail's own code (or tokens) and the
managed login session cookie, or with `error` and `error_description` [facts 1.7, 1.8].

The logic is cognito/federation/redirects.py; the routing includes ``ENDPOINTS``.
"""

from __future__ import annotations

import dataclasses
import html
import uuid
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from poolmail.cognito.federation import redirects
from poolmail.cognito.oauth import authorization, hosted_sessions
from poolmail.cognito.oauth.authorization import AuthorizationError
from poolmail.hosted.call import Endpoint, HostedCall

# AWS's error page for a `state` it cannot read: "Invalid State" [obs amplify-js#6291], on
# the page that reads "An error was encountered with the requested page." [facts 1.1].
INVALID_STATE = "Invalid State"
# Choice: a SAML response without a known RelayState gets the text Cognito's SAML errors use.
INVALID_RELAY_STATE = "Invalid relayState from identity provider"
# Choice: a LogoutRequest no IdP of the pool (with IDPSignout) signed.
INVALID_LOGOUT_REQUEST = "Invalid logout request from identity provider"


def _error_page(text: str, status: int = 400) -> HTMLResponse:
    # Choice: a plain page (no pool branding: the request names no client poolmail could
    # trust) with AWS's heading and the cause.
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Error</title></head><body><main>"
        "<h1>An error was encountered with the requested page.</h1>"
        f"<p>{html.escape(text)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302)


async def _answer(call: HostedCall, outcome: redirects.Outcome) -> Response:
    request = outcome.request
    if outcome.signed_in is None:
        url = request.refuse(outcome.error, outcome.error_description).redirect_url
        return _redirect(url) if url else _error_page(outcome.error_description or "")
    user = outcome.signed_in.user
    ctx = dataclasses.replace(call.ctx, operation="Authorize", request_id=str(uuid.uuid4()))
    try:
        done = await run_in_threadpool(
            lambda: authorization.complete(
                ctx,
                request,
                user.username,
                session_data={"identity_provider": outcome.provider_name},
            )
        )
    except AuthorizationError as error:
        url = error.redirect_url
        return _redirect(url) if url else _error_page(error.description or error.error)
    response = _redirect(done.redirect_url)
    if done.session_cookie is not None:
        response.set_cookie(
            hosted_sessions.COOKIE,
            done.session_cookie,
            max_age=done.session_max_age,
            path=call.cookie_path,
            httponly=True,
            secure=call.request.url.scheme == "https",
            samesite="lax",
        )
    return response


def _this_pool(call: HostedCall, pending_id: str) -> bool:
    """Whether the waiting sign-in belongs to the domain's pool (an answer delivered to
    another pool's domain is not taken, so it cannot be spent there)."""
    pool_id = redirects.pool_of(call.ctx, pending_id)
    return pool_id is not None and pool_id == call.domain.pool_id


async def _posted_fields(call: HostedCall) -> dict[str, str]:
    """The url-encoded body's fields, the first of each (the HTTP-POST binding and
    response_mode=form_post send this form). Read by hand: Starlette's form() needs
    python-multipart, which poolmail does not install."""
    body = (await call.request.body()).decode("utf-8", "replace")
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        fields.setdefault(key, value)
    return fields


async def oidc_response(call: HostedCall) -> Response:
    """GET (or, for IdPs answering with response_mode=form_post, POST) /oauth2/idpresponse."""
    if call.request.method == "POST":
        params = await _posted_fields(call)
    else:
        params = dict(call.request.query_params)
    state = params.get("state") or ""
    if not await run_in_threadpool(_this_pool, call, state):
        return _error_page(INVALID_STATE)
    outcome = await run_in_threadpool(redirects.finish_oidc, call.ctx, params)
    if outcome is None:
        return _error_page(INVALID_STATE)
    return await _answer(call, outcome)


async def saml_response(call: HostedCall) -> Response:
    """POST /saml2/idpresponse: the IdP's SAMLResponse and the RelayState poolmail sent."""
    fields = await _posted_fields(call)
    relay_state = fields.get("RelayState") or ""
    if await run_in_threadpool(_this_pool, call, relay_state):
        outcome = await run_in_threadpool(redirects.finish_saml, call.ctx, fields)
    else:
        acs_url = call.url("/saml2/idpresponse")
        try:
            outcome = await run_in_threadpool(
                redirects.finish_idp_initiated, call.ctx, call.domain, acs_url, fields
            )
        except AuthorizationError as error:
            url = error.redirect_url
            return _redirect(url) if url else _error_page(error.description or error.error)
    if outcome is None:
        return _error_page(INVALID_RELAY_STATE)
    return await _answer(call, outcome)


async def saml_logout(call: HostedCall) -> Response:
    """POST /saml2/logout: the SAML IdP's LogoutResponse to the LogoutRequest /logout sent
    (then on to the logout's own target), or the IdP's own LogoutRequest."""
    fields = await _posted_fields(call)
    if fields.get("SAMLRequest"):
        # The IdP signs the user out on its own (IDPSignout): sessions end, back to it.
        acs_url = call.url("/saml2/idpresponse")
        back = await run_in_threadpool(
            redirects.idp_sign_out, call.ctx, call.domain.pool_id, acs_url, fields
        )
        if back is None:
            return _error_page(INVALID_LOGOUT_REQUEST)
        response = _redirect(back)
        response.delete_cookie(hosted_sessions.COOKIE, path=call.cookie_path)
        return response
    if not await run_in_threadpool(_this_pool, call, fields.get("RelayState") or ""):
        return _error_page(INVALID_RELAY_STATE)
    target = await run_in_threadpool(redirects.finish_sign_out, call.ctx, fields)
    if target is None:
        return _error_page(INVALID_RELAY_STATE)
    return _redirect(target)


ENDPOINTS = [
    Endpoint("/oauth2/idpresponse", ("GET", "POST"), oidc_response),
    # The ACS takes the HTTP-POST binding only [doc FED]; other methods get 405.
    Endpoint("/saml2/idpresponse", ("POST",), saml_response),
    # "Accepts POST binding only" [doc FED].
    Endpoint("/saml2/logout", ("POST",), saml_logout),
]
