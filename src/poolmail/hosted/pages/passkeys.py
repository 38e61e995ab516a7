"""Passkeys on the managed login pages: "Sign in with passkey" on `/login` (choice-based
sign-in, `USER_AUTH` with `PREFERRED_CHALLENGE=WEB_AUTHN`) and `/passkeys/add`, where a
signed-in user registers one.

Both run the API's code: the sign-in through `user_auth.initiate` and the WEB_AUTHN
responder (`steps.answer`), the registration through Start/CompleteWebAuthnRegistration.
WebAuthn is a browser API, so these pages need JavaScript, as on AWS; their script is a
file the domain serves (`/passkeys.js`), the only script any page loads.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from poolmail.cognito.oauth import authorization, hosted_sessions, issuance
from poolmail.cognito.oauth.authorization import AuthorizationError
from poolmail.cognito.pools.sign_in_policy import allowed_first_factors
from poolmail.cognito.signin import tokens, user_auth
from poolmail.cognito.signin.challenges import INVALID_SESSION
from poolmail.cognito.signin.progress import WEB_AUTHN
from poolmail.cognito.users.users import find_user
from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import flow, rendering, steps
from poolmail.hosted.pages.sign_in_form import LOGIN, MISSING_FIELDS
from poolmail.hosted.pages.site import Visit
from poolmail.protocol.errors import AwsError

ADD = "/passkeys/add"
SCRIPT = "/passkeys.js"
# The form fields of the passkey steps: the button on /login, the credential the script
# posts back.
ASK = "passkey"
CREDENTIAL = "credential"
# The pages that run the script may load it from the domain, and nothing else.
_SCRIPT_POLICY = rendering.PAGE_POLICY + "; script-src 'self'"
# Choice (AWS's page text not found): what the login page says when the user has no
# passkey the pool accepts (or does not exist: both read the same, as for passwords).
NO_PASSKEY = "No passkey is available for this user. Sign in with your password."
# Choice: the page text for a credential the script could not post (a browser without
# WebAuthn, or a ceremony the user cancelled).
NO_CREDENTIAL = "The passkey was not used. Try again, or sign in with your password."
_ALLOW_USER_AUTH = "ALLOW_USER_AUTH"
_MANAGED_LOGIN = 2
# Choice: the classic hosted UI answers /passkeys/add as any path it does not serve.
_NOT_SERVED = "An error was encountered with the requested page."


def _managed_login(call: HostedCall) -> bool:
    # "Except for /passkeys/add, all paths are shared" by managed login and the classic
    # hosted UI [facts 1.2]. Choice: the classic pages offer no passkey sign-in either
    # (passkeys came with managed login; no classic passkey page was found).
    return call.domain.managed_login_version == _MANAGED_LOGIN


def offered(visit: Visit) -> bool:
    """Whether /login offers a passkey: a managed login domain, a client that allows
    choice-based sign-in and a pool whose sign-in policy names WEB_AUTHN."""
    flows = visit.client.settings.get("ExplicitAuthFlows") or []
    return (
        _managed_login(visit.call)
        and _ALLOW_USER_AUTH in flows
        and WEB_AUTHN in allowed_first_factors(visit.pool.settings)
    )


def asked(form: dict[str, str]) -> bool:
    """Whether a posted /login form is a passkey step rather than a password."""
    return ASK in form or CREDENTIAL in form


def _with_script(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _SCRIPT_POLICY
    return response


async def sign_in(visit: Visit, form: dict[str, str]) -> steps.Step | Response:
    """The passkey button's request options page, or the posted credential's answer;
    AwsError with the API's code and text (the login page shows it)."""
    ctx = visit.context("RespondToAuthChallenge")
    if CREDENTIAL in form:
        if not form[CREDENTIAL]:
            raise AwsError("NotAuthorizedException", NO_CREDENTIAL)
        challenge = steps.Challenge(WEB_AUTHN, form.get("session", ""), form.get("username", ""))
        if not challenge.session or not challenge.username:
            raise AwsError("NotAuthorizedException", INVALID_SESSION)
        answers = {"CREDENTIAL": form[CREDENTIAL]}
        return await run_in_threadpool(
            steps.answer, ctx, visit.pool, visit.client, challenge, answers
        )
    username = form.get("username", "").strip()
    if not username:
        raise AwsError("InvalidParameterException", MISSING_FIELDS)
    if not offered(visit):
        raise AwsError("NotAuthorizedException", NO_PASSKEY)
    started = await run_in_threadpool(_start, visit, username)
    return _with_script(
        flow.show(
            visit,
            "passkey.html",
            "Sign in with passkey",
            mode="get",
            options=started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"],
            action=visit.url(LOGIN),
            fields={"session": started["Session"], "username": username},
            script_url=visit.call.url(SCRIPT),
            back_url=visit.url(LOGIN),
        )
    )


def _start(visit: Visit, username: str) -> dict[str, Any]:
    """InitiateAuth's USER_AUTH with WEB_AUTHN preferred, as the API runs it."""
    values = {"USERNAME": username, "PREFERRED_CHALLENGE": WEB_AUTHN}
    hashed = steps.secret_hash(visit.client, username)
    if hashed is not None:
        values["SECRET_HASH"] = hashed
    params = {"AuthFlow": "USER_AUTH", "AuthParameters": values}
    started = user_auth.initiate(visit.context("InitiateAuth"), visit.pool, visit.client, params)
    # Anything but the WEB_AUTHN challenge (SELECT_CHALLENGE) means no usable passkey.
    if not isinstance(started, dict) or started.get("ChallengeName") != WEB_AUTHN:
        raise AwsError("NotAuthorizedException", NO_PASSKEY)
    return started


# ---- /passkeys/add ------------------------------------------------------------------------


def _access_token(visit: Visit) -> str | None:
    """An access token of the managed login session's user, for this request only.

    Choice: the session cookie names a user, not tokens (the tokens went to the app). The
    page mints the user a token with the user pools API scope, as the code's tokens would
    have with that scope, valid for the client's access token lifetime, and never sends it
    to the browser: the registration operations then run unchanged, checks included.
    """
    ctx = visit.context("StartWebAuthnRegistration")
    now = ctx.clock.now().timestamp()
    cookie = visit.request.cookies.get(hosted_sessions.COOKIE, "")
    # Before the transaction: a pool's first keys are made (written) on first use.
    keys = tokens.pool_keys(ctx.db, visit.pool.id, now)
    with ctx.db.transaction(readonly=True) as tx:
        session = hosted_sessions.find(tx, visit.pool.id, cookie, now)
        user = find_user(tx, visit.pool, session.username) if session is not None else None
        if session is None or user is None or user.sub != session.sub or not user.enabled:
            return None
        grant = issuance.Grant((tokens.ADMIN_SCOPE,))
        minted = issuance.user_tokens(
            ctx, tx, keys, visit.client, user, session.auth_time, None, grant
        )
    return str(minted["AccessToken"])


def _add_page(
    visit: Visit, options: dict[str, Any], *, error: str | None = None, status: int = 200
) -> Response:
    return _with_script(
        flow.show(
            visit,
            "passkey.html",
            "Add a passkey",
            status=status,
            error=error,
            mode="create",
            options=json.dumps(options),
            action=visit.url(ADD),
            fields={},
            script_url=visit.call.url(SCRIPT),
            back_url=visit.authorization.redirect_uri,
        )
    )


async def add(call: HostedCall) -> Response:
    """GET: the creation options of a new passkey; POST: its registration, then back to the
    app with a code, as after a sign-in (without a new session)."""
    if not _managed_login(call):
        return rendering.bare_page(call, 404, "Error", _NOT_SERVED)
    visit = await flow.open_page(call)
    if isinstance(visit, Response):
        return visit
    token = await run_in_threadpool(_access_token, visit)
    if token is None:
        # Choice (AWS's answer not found): without a managed login session the browser
        # goes to sign in, with the same parameters; the sign-in returns to the app.
        return flow.redirect(visit.url(LOGIN))
    if call.request.method == "POST":
        form = await flow.checked_form(visit)
        if isinstance(form, Response):
            return form
        try:
            credential = json.loads(form.get(CREDENTIAL) or "null")
            if credential is None:
                raise AwsError("InvalidParameterException", NO_CREDENTIAL)
            await visit.run(
                "CompleteWebAuthnRegistration", {"AccessToken": token, "Credential": credential}
            )
        except (AwsError, ValueError) as refused:
            message = refused.message if isinstance(refused, AwsError) else NO_CREDENTIAL
            # A new challenge for another try: the refused answer ended the last one.
            return await _start_page(visit, token, error=message)
        return await _back_to_app(visit)
    return await _start_page(visit, token)


async def _start_page(visit: Visit, token: str, *, error: str | None = None) -> Response:
    """The page with a new registration's options; the API's refusal (say, 20 passkeys
    already) on a page of its own."""
    try:
        started = await visit.run("StartWebAuthnRegistration", {"AccessToken": token})
    except AwsError as refused:
        return flow.show(
            visit,
            "message.html",
            "Add a passkey",
            status=400,
            error=refused.message,
            text="",
            link_url=visit.authorization.redirect_uri,
            link_text="Back",
        )
    status = 200 if error is None else 400
    return _add_page(visit, started["CredentialCreationOptions"], error=error, status=status)


async def _back_to_app(visit: Visit) -> Response:
    ctx = visit.context("Authorize")
    cookie = visit.request.cookies.get(hosted_sessions.COOKIE, "")

    def complete() -> authorization.Completion | None:
        with ctx.db.transaction(readonly=True) as tx:
            session = hosted_sessions.find(tx, visit.pool.id, cookie, ctx.clock.now().timestamp())
        if session is None:
            return None
        return authorization.complete(
            ctx,
            visit.authorization,
            session.username,
            auth_time=session.auth_time,
            start_session=False,
        )

    try:
        done = await run_in_threadpool(complete)
    except AuthorizationError as error:
        return flow.refused(visit.call, error)
    if done is None:
        return flow.redirect(visit.url(LOGIN))
    return flow.redirect(done.redirect_url)


# ---- the script --------------------------------------------------------------------------


def _script_text() -> bytes:
    return resources.files("poolmail.hosted").joinpath("static/passkeys.js").read_bytes()


async def script(call: HostedCall) -> Response:
    """The passkey pages' script: WebAuthn in the browser, its result posted as a form."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=3600",
        "Content-Security-Policy": "default-src 'none'",
    }
    return Response(_script_text(), media_type="text/javascript", headers=headers)
