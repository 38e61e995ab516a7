"""`/login` and the steps a sign-in may take after the password (`/mfa`: MFA codes,
choosing and setting up a factor, the new password an invited user must choose).

Each step's form carries the sign-in's Session (the same server-side challenge session
RespondToAuthChallenge answers), so the pages run on the API's sign-in code.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from poolmail.cognito.mfa.state import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA
from poolmail.cognito.mfa.totp import MFA_SETUP
from poolmail.cognito.signin.challenges import (
    EXPIRED_SESSION,
    INVALID_SESSION,
    NEW_PASSWORD_REQUIRED,
)
from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages import flow, labels, passkeys, recovery, steps
from poolmail.hosted.pages.sign_in_form import (
    LOGIN,
    MISSING_FIELDS,
    PASSWORDS_DIFFER,
    login_form,
)
from poolmail.hosted.pages.site import Visit
from poolmail.protocol.errors import AwsError

MFA = "/mfa"
SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
_CODE_ANSWERS = {
    SMS_MFA: "SMS_MFA_CODE",
    EMAIL_OTP: "EMAIL_OTP_CODE",
    SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
}
# The factors a page can set up inside a sign-in: an authenticator app, or an address
# for email MFA (SMS needs a phone number the user already has).
_SETUP_FACTORS = (SOFTWARE_TOKEN_MFA, EMAIL_OTP)


def challenge_page(
    visit: Visit,
    challenge: steps.Challenge,
    *,
    error: str | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The page of ``challenge``: a code, a choice, a factor to set up, a new password."""
    parameters = challenge.parameters
    values: dict[str, Any] = {
        "choices": [],
        "secret": None,
        "otpauth": None,
        "setup_email": False,
        "setup_email_value": "",
        "prompt": "",
        "code_label": "Code",
        "hints": [],
        "attributes": [],
        "destination": parameters.get("CODE_DELIVERY_DESTINATION", ""),
    }
    title = "Multi-factor authentication"
    if challenge.name == SELECT_MFA_TYPE:
        values["choices"] = labels.factor_choices(
            parameters.get("MFAS_CAN_CHOOSE"), tuple(labels.FACTOR_LABELS)
        )
    elif challenge.name == MFA_SETUP:
        title = "Set up multi-factor authentication"
        values["choices"] = labels.factor_choices(parameters.get("MFAS_CAN_SETUP"), _SETUP_FACTORS)
    elif challenge.name == NEW_PASSWORD_REQUIRED:
        title = "Change Password"
        values["hints"] = labels.password_hints(visit.pool)
        values["attributes"] = [
            labels.attribute_field(name.removeprefix("userAttributes."))
            for name in _required_of(parameters)
        ]
    else:
        prompt, label = labels.code_prompt(challenge.name, values["destination"])
        values.update(prompt=prompt, code_label=label)
    values.update(extra)
    return flow.show(
        visit,
        "challenge.html",
        title,
        status=status,
        error=error,
        action=visit.url(MFA),
        challenge=challenge,
        **values,
    )


def _required_of(parameters: dict[str, str]) -> list[str]:
    try:
        names = json.loads(parameters.get("requiredAttributes") or "[]")
    except ValueError:
        return []
    return [str(name) for name in names if isinstance(name, str)]


async def advance(visit: Visit, step: steps.Step) -> Response:
    """Show the next challenge, or complete the authorization request."""
    if isinstance(step, steps.SignedIn):
        return await flow.finish(visit, step.user)
    return challenge_page(visit, step)


async def login(call: HostedCall) -> Response:
    opened = await flow.posted_form(call, login_form)
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    username = form.get("username", "").strip()
    if passkeys.asked(form):
        try:
            passkey_step = await passkeys.sign_in(visit, form)
        except AwsError as refused:
            return login_form(visit, status=400, error=refused.message, username=username)
        if isinstance(passkey_step, Response):
            return passkey_step
        return await advance(visit, passkey_step)
    password = form.get("password", "")
    if not username or not password:
        return login_form(visit, status=400, error=MISSING_FIELDS, username=username)
    ctx = visit.context("InitiateAuth")
    try:
        step = await run_in_threadpool(
            steps.sign_in, ctx, visit.pool, visit.client, username, password
        )
    except AwsError as refused:
        if refused.code == "PasswordResetRequiredException":
            # Choice (the page's behaviour not found): an imported user, or one an
            # administrator reset, gets the reset code and the page to enter it, which is
            # what AWS tells apps to do with this error (user-pools-using-import-tool).
            return await recovery.start_reset(visit, username)
        return login_form(visit, status=400, error=refused.message, username=username)
    return await advance(visit, step)


async def mfa(call: HostedCall) -> Response:
    """A challenge's answer (POST); a GET has no sign-in to continue and starts over."""
    opened = await flow.posted_form(call, lambda visit: flow.redirect(visit.url(LOGIN)))
    if isinstance(opened, Response):
        return opened
    visit, form = opened
    challenge = steps.Challenge(
        form.get("challenge", ""), form.get("session", ""), form.get("username", "")
    )
    challenge.parameters = _parameters_from(form, challenge.name)
    try:
        step = await _answer(visit, challenge, form)
    except AwsError as refused:
        if refused.message in (INVALID_SESSION, EXPIRED_SESSION):
            # The sign-in's session ended (expired or used up): start again.
            return login_form(visit, status=400, error=refused.message)
        return challenge_page(
            visit, challenge, error=refused.message, status=400, **_kept(visit, form, challenge)
        )
    if isinstance(step, Response):
        return step
    return await advance(visit, step)


def _parameters_from(form: dict[str, str], name: str) -> dict[str, str]:
    """What the page needs of the challenge's parameters, carried in the form."""
    kept = {}
    for field, parameter in (
        ("destination", "CODE_DELIVERY_DESTINATION"),
        ("choices", "MFAS_CAN_CHOOSE" if name == SELECT_MFA_TYPE else "MFAS_CAN_SETUP"),
        ("required", "requiredAttributes"),
    ):
        if form.get(field):
            kept[parameter] = form[field]
    return kept


def _kept(visit: Visit, form: dict[str, str], challenge: steps.Challenge) -> dict[str, Any]:
    """What a page shown again after a wrong answer keeps from the form."""
    if challenge.name != MFA_SETUP:
        return {}
    setup = form.get("setup")
    secret = form.get("secret", "")
    if setup == "totp" and secret:
        return {"secret": secret, "otpauth": _otpauth(visit, challenge.username, secret)}
    if setup == "email":
        return {"setup_email": True, "setup_email_value": form.get("email", "")}
    return {}


def _otpauth(visit: Visit, username: str, secret: str) -> str:
    # The key-URI format authenticator apps read (Google Authenticator's wiki):
    # otpauth://totp/<issuer>:<account>?secret=...&issuer=...
    # Choice (AWS's issuer not found): the pool's name, which the user knows the app by.
    issuer = visit.pool.name
    label = quote(f"{issuer}:{username}", safe=":@")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer})


async def _answer(
    visit: Visit, challenge: steps.Challenge, form: dict[str, str]
) -> steps.Step | Response:
    ctx = visit.context("RespondToAuthChallenge")
    pool, client = visit.pool, visit.client
    if challenge.name in _CODE_ANSWERS:
        code = form.get("code", "").strip()
        if not code:
            raise AwsError("InvalidParameterException", MISSING_FIELDS)
        answers = {_CODE_ANSWERS[challenge.name]: code}
        return await run_in_threadpool(steps.answer, ctx, pool, client, challenge, answers)
    if challenge.name == SELECT_MFA_TYPE:
        answers = {"ANSWER": form.get("answer", "")}
        return await run_in_threadpool(steps.answer, ctx, pool, client, challenge, answers)
    if challenge.name == NEW_PASSWORD_REQUIRED:
        password = form.get("new_password", "")
        if password != form.get("confirm_password", ""):
            raise AwsError("InvalidParameterException", PASSWORDS_DIFFER)
        answers = {"NEW_PASSWORD": password}
        for name, value in form.items():
            if name.startswith("attr:") and value:
                answers["userAttributes." + name.removeprefix("attr:")] = value
        return await run_in_threadpool(steps.answer, ctx, pool, client, challenge, answers)
    if challenge.name == MFA_SETUP:
        return await _set_up(visit, challenge, form)
    raise AwsError("NotAuthorizedException", INVALID_SESSION)


async def _set_up(
    visit: Visit, challenge: steps.Challenge, form: dict[str, str]
) -> steps.Step | Response:
    ctx = visit.context("RespondToAuthChallenge")
    setup = form.get("setup", "")
    if setup in ("totp", SOFTWARE_TOKEN_MFA) and not form.get("secret"):
        secret, moved = await run_in_threadpool(steps.start_totp_setup, ctx, challenge)
        otpauth = _otpauth(visit, challenge.username, secret)
        return challenge_page(visit, moved, secret=secret, otpauth=otpauth)
    if setup == "totp":
        code = form.get("code", "").strip()
        if not code:
            raise AwsError("InvalidParameterException", MISSING_FIELDS)
        return await run_in_threadpool(
            steps.finish_totp_setup, ctx, visit.pool, visit.client, challenge, code
        )
    if setup in ("email", EMAIL_OTP) and not form.get("email"):
        return challenge_page(visit, challenge, setup_email=True)
    if setup == "email":
        answers = {"EMAIL": form["email"].strip()}
        return await run_in_threadpool(
            steps.answer, ctx, visit.pool, visit.client, challenge, answers
        )
    raise AwsError("InvalidParameterException", MISSING_FIELDS)
