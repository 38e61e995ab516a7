"""Choice-based sign-in, `AuthFlow=USER_AUTH` (issue 13, point 6): the user names a
`PREFERRED_CHALLENGE` or picks one of `AvailableChallenges` (SELECT_CHALLENGE), then passes
it: PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP or WEB_AUTHN [doc DG
authentication-flows-selection-sdk.html; model InitiateAuth, RespondToAuthChallenge].

`InitiateAuth(USER_AUTH, Session=...)` with the Session of ConfirmSignUp signs the new user
in directly: the confirmation code was the first factor [model InitiateAuth Session].
"""

from __future__ import annotations

import hashlib
import hmac
import types
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import auth_factors, challenges, otp, passkeys
from poolmail.cognito.signin.progress import (
    EMAIL_OTP,
    PASSWORD,
    PASSWORD_SRP,
    SMS_OTP,
    WEB_AUTHN,
    Passed,
    Progress,
    Responder,
    device_key_of,
    open_step,
    progress_of,
)
from poolmail.cognito.triggers import authentication
from poolmail.cognito.users.users import (
    USER_DISABLED,
    USER_NOT_FOUND,
    StoredUser,
    find_user,
    hides_existence,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

SELECT_CHALLENGE = "SELECT_CHALLENGE"
# The session ConfirmSignUp returns: a sign-in whose first factor (the confirmation code)
# has passed, waiting for InitiateAuth(USER_AUTH, Session=...).
SIGN_UP_SESSION = "SIGN_UP_SESSION"
_CHOICES = (PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP, WEB_AUTHN)

# Not found: AWS's answers when a user has no factor the pool offers now (say, a
# password-less user while MFA is required) and when ANSWER names a challenge that was not
# offered; poolmail refuses both, naming why.
NO_FACTOR = "No authentication method is available for the user."
NOT_OFFERED = "ANSWER must be one of the AvailableChallenges: {available}"


def _flows() -> types.ModuleType:
    # The password and SRP first factors are auth's; auth imports this module for its
    # RESPONDERS, so the import waits until a sign-in needs them.
    from poolmail.cognito.signin import auth

    return auth


def initiate(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    """InitiateAuth / AdminInitiateAuth with USER_AUTH."""
    # "To activate this setting, your user pool must be in the Essentials tier or higher."
    # [model AuthFlow USER_AUTH; ExplicitAuthFlows ALLOW_USER_AUTH]
    tiers.require(pool.settings, tiers.ESSENTIALS, tiers.CHOICE_BASED)
    values: dict[str, str] = params.get("AuthParameters") or {}
    if params.get("Session"):
        return signed_up(ctx, pool, client, params["Session"], values)
    auth = _flows()
    username = auth.parameter(values, "USERNAME")
    auth.check_secret(client, username, values.get("SECRET_HASH"))
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, username)
    validation = params.get("ClientMetadata") or None
    authentication.pre_authentication(ctx, pool, client, user, username, validation)
    if user is None and not hides_existence(client):
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    # An unknown user of a client that hides existence is offered what a password user
    # is, and fails only at the password [facts §8, reported by users of AWS].
    if user is None:
        available = [PASSWORD, PASSWORD_SRP]
    else:
        available = auth_factors.available_challenges(ctx, pool, user)
    progress = Progress(
        user.username if user is not None else username,
        SELECT_CHALLENGE,
        device_key_of(values),
        client_metadata=params.get("ClientMetadata"),
    )
    preferred = values.get("PREFERRED_CHALLENGE")
    # "If you don't provide a value for PREFERRED_CHALLENGE, Amazon Cognito responds with
    # the AvailableChallenges parameter" [model]; one the user can't use gets the same.
    if preferred in available:
        return _begin(ctx, pool, client, user, str(preferred), values, progress)
    return _select(ctx, client, progress, available)


def _select(
    ctx: RequestContext, client: ClientRecord, progress: Progress, available: list[str]
) -> dict[str, Any]:
    if not available:
        raise AwsError("NotAuthorizedException", NO_FACTOR)
    session = open_step(ctx, client, progress, SELECT_CHALLENGE, {"available": available})
    # AWS answers SELECT_CHALLENGE without ChallengeParameters (AWS CLI output shown in
    # public walkthroughs: ChallengeName, AvailableChallenges, Session).
    return {"ChallengeName": SELECT_CHALLENGE, "Session": session, "AvailableChallenges": available}


def _ask(
    ctx: RequestContext, client: ClientRecord, progress: Progress, challenge: str
) -> dict[str, Any]:
    """The PASSWORD or PASSWORD_SRP challenge, when the choice came without the password
    or SRP_A (ChallengeNameType has both; RespondToAuthChallenge documents their answers)."""
    progress.first_factor = challenge
    session = open_step(ctx, client, progress, challenge)
    return {"ChallengeName": challenge, "Session": session, "ChallengeParameters": {}}


def _begin(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser | None,
    choice: str,
    values: dict[str, str],
    progress: Progress,
) -> dict[str, Any] | Passed:
    """Start the chosen first factor: PASSWORD and PASSWORD_SRP complete in the same call
    when their inputs came along [model ChallengeResponses SELECT_CHALLENGE]; a one-time
    code goes out; a passkey gets its request options."""
    auth = _flows()
    if choice == PASSWORD:
        if values.get("PASSWORD"):
            result: dict[str, Any] = auth.password_flow(ctx, pool, client, values)
            return result
        return _ask(ctx, client, progress, PASSWORD)
    if choice == PASSWORD_SRP:
        if values.get("SRP_A"):
            started: dict[str, Any] = auth.srp_flow(ctx, pool, client, values)
            return started
        return _ask(ctx, client, progress, PASSWORD_SRP)
    if user is None:  # only passwords are offered to unknown users
        raise AwsError("NotAuthorizedException", auth.INCORRECT)
    if not user.enabled:
        # Checked before a code goes out: a disabled user gets no mail or SMS.
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    progress.first_factor = choice
    if choice == WEB_AUTHN:
        return passkeys.open_web_authn(ctx, pool, client, user, progress)
    # "Users who sign in with a one-time password (OTP) first factor can't add a MFA factor
    # to their session" (authentication.html): MFA is settled.
    progress.mfa_done = True
    medium = otp.EMAIL if choice == EMAIL_OTP else otp.SMS
    return otp.send(ctx, pool, client, user, progress, medium, choice)


def check_answerer(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    pending: challenges.Pending,
    answers: dict[str, str],
) -> StoredUser | None:
    """The user answering ``pending``: USERNAME must name the sign-in's user (None for the
    made-up sign-in of an unknown user), with the client's SECRET_HASH."""
    auth = _flows()
    username = auth.parameter(answers, "USERNAME")
    auth.check_secret(client, username, answers.get("SECRET_HASH"))
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, pending.username)
        named = find_user(tx, pool, username)
    if user is None:
        if named is not None or username != pending.username:
            raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
        return None
    if named is None or named.username != user.username:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    return user


def _pending(
    ctx: RequestContext, client: ClientRecord, params: dict[str, Any], challenge: str
) -> tuple[challenges.Pending, dict[str, str]]:
    pending = challenges.find_challenge(ctx, client, params.get("Session"), challenge)
    # Sessions are single-use ("Invalid session for the user, session can only be used
    # once", amplify-js#13123): the answer closes it, right or wrong.
    challenges.close_challenge(ctx, pending)
    return pending, params.get("ChallengeResponses") or {}


def _select_challenge(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    pending, answers = _pending(ctx, client, params, SELECT_CHALLENGE)
    user = check_answerer(ctx, pool, client, pending, answers)
    answer = _flows().parameter(answers, "ANSWER")
    available: list[str] = pending.data.get("available") or []
    if answer not in available or answer not in _CHOICES:
        raise AwsError("InvalidParameterException", NOT_OFFERED.format(available=available))
    progress = progress_of(pending)
    progress.device_key = progress.device_key or device_key_of(answers)
    # A WEB_AUTHN answer gets the WEB_AUTHN challenge: a CREDENTIAL sent along could only
    # answer request options the client has not been given yet.
    return _begin(ctx, pool, client, user, answer, answers, progress)


def _password(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    pending, answers = _pending(ctx, client, params, PASSWORD)
    check_answerer(ctx, pool, client, pending, answers)
    auth = _flows()
    auth.parameter(answers, "PASSWORD")
    result: dict[str, Any] = auth.password_flow(ctx, pool, client, answers)
    return result


def _password_srp(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    pending, answers = _pending(ctx, client, params, PASSWORD_SRP)
    check_answerer(ctx, pool, client, pending, answers)
    auth = _flows()
    auth.parameter(answers, "SRP_A")
    result: dict[str, Any] = auth.srp_flow(ctx, pool, client, answers)
    return result


def _web_authn(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    pending, answers = _pending(ctx, client, params, WEB_AUTHN)
    user = check_answerer(ctx, pool, client, pending, answers)
    if user is None:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    return passkeys.finish_web_authn(ctx, pool, user, pending, answers)


# ---- signing in straight after sign-up --------------------------------------------------

# Where SignUp's Session waits for ConfirmSignUp (a hash: the client holds the session).
_SIGN_UP_KEY = "sign_up_session"


def _digest(session: str) -> str:
    return hashlib.sha256(session.encode()).hexdigest()


def start_sign_up_session(user: StoredUser) -> str:
    """SignUp's Session, "that you can pass to ConfirmSignUp when you want to immediately
    sign in your user" [model SignUpResponse]. It lasts until the sign-up is confirmed:
    ConfirmSignUp comes after the user has read a code, minutes or hours later."""
    session = challenges.new_session()
    user.data[_SIGN_UP_KEY] = _digest(session)
    return session


def check_sign_up_session(user: StoredUser, session: str | None) -> None:
    """ConfirmSignUp's optional Session must be the one SignUp gave this user."""
    if session is None:
        return
    stored = str(user.data.get(_SIGN_UP_KEY) or "")
    if not hmac.compare_digest(stored, _digest(session)):
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)


def end_sign_up_session(user: StoredUser) -> None:
    user.data.pop(_SIGN_UP_KEY, None)


def sign_up_session(ctx: RequestContext, client: ClientRecord, user: StoredUser) -> str:
    """ConfirmSignUp's Session: "you can use [it] to immediately sign in the confirmed user
    ... with the one-time password that they provided" [model ConfirmSignUpResponse]. It
    lasts the client's AuthSessionValidity, the "authentication flow session duration"
    [model InitiateAuth Session]. The code went by SMS when the phone number is what it
    verified, else by mail."""
    by_sms = user.attributes.get("phone_number_verified") == "true" and not user.email_verified()
    first_factor = SMS_OTP if by_sms else EMAIL_OTP
    return open_step(ctx, client, Progress(user.username, first_factor), SIGN_UP_SESSION)


def signed_up(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    session: str,
    values: dict[str, str],
) -> Passed:
    """InitiateAuth with ConfirmSignUp's Session: "Amazon Cognito assumes the SMS or email
    message one-time verification password from ConfirmSignUp as the primary authentication
    factor" [model InitiateAuth Session]; AuthParameters beyond DEVICE_KEY are not needed.
    MFA still applies as to any first factor (a new user has none turned on, so only a
    pool that requires MFA asks for its set-up)."""
    pending = challenges.find_challenge(ctx, client, session, SIGN_UP_SESSION)
    challenges.close_challenge(ctx, pending)
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, pending.username)
    if user is None:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    progress = progress_of(pending)
    progress.device_key = device_key_of(values)
    return Passed(user, progress)


# Each challenge of choice-based sign-in, and the function that checks its answer; the
# one-time codes' are otp's.
RESPONDERS: dict[str, Responder] = {
    SELECT_CHALLENGE: _select_challenge,
    PASSWORD: _password,
    PASSWORD_SRP: _password_srp,
    WEB_AUTHN: _web_authn,
    **otp.RESPONDERS,
}
