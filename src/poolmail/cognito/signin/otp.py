"""One-time codes of a sign-in, by email or SMS: the MFA challenges SMS_MFA and EMAIL_OTP,
and the passwordless first factors EMAIL_OTP and SMS_OTP.

Email goes through the pool's own SES (`EmailSendingAccount=DEVELOPER`), under SES's
sandbox and quotas, with the pool's email MFA template; SMS goes to the SMS outbox with
the pool's SMS authentication message. "The MFA code is valid for the Authentication flow
session duration that you set for your app client" (user-pool-settings-mfa-sms-email-
message.html): the code lives in the challenge's session.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.messaging.delivery import CognitoEmail, deliver
from poolmail.cognito.messaging.masking import mask_email, mask_phone
from poolmail.cognito.messaging.sms_messages import send_text
from poolmail.cognito.mfa import rules
from poolmail.cognito.mfa.state import enable_factor
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges
from poolmail.cognito.signin.progress import (
    EMAIL_OTP,
    SMS_OTP,
    Passed,
    Progress,
    Responder,
    open_step,
    progress_of,
)
from poolmail.cognito.triggers import custom_message
from poolmail.cognito.users import codes
from poolmail.cognito.users.users import (
    CONFIRMED,
    UNCONFIRMED,
    StoredUser,
    check_secret_hash,
    find_user,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.sms import outbox

SMS_MFA = "SMS_MFA"
EMAIL = "EMAIL"
SMS = "SMS"

# AWS's text for a wrong MFA code (aws-amplify/amplify-js#3066, #11069).
CODE_MISMATCH = "Invalid code or auth state for the user."
# Not found: how many wrong codes one session takes. A client reports the right code
# failing after a wrong one (aws-amplify/amplify-swift#2615), others retry successfully;
# poolmail lets a session take three wrong codes, then ends it like a used session.
MAX_WRONG_CODES = 3

_ANSWER = {SMS_MFA: "SMS_MFA_CODE", EMAIL_OTP: "EMAIL_OTP_CODE", SMS_OTP: "SMS_OTP_CODE"}


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _kind(progress: Progress) -> str:
    return (
        "cognito-sign-in-code" if progress.first_factor in (EMAIL_OTP, SMS_OTP) else "cognito-mfa"
    )


def send(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
    medium: str,
    challenge: str,
) -> dict[str, Any]:
    """Send a fresh code by ``medium`` (EMAIL or SMS) and open ``challenge`` for it; the
    response that asks the client for the code."""
    code = codes.new_code()
    if medium == EMAIL:
        address = user.attributes.get("email", "")
        message, subject = rules.email_template(pool.settings)
        email = CognitoEmail(
            to=address,
            subject=subject,
            body=message.replace("{####}", code).replace("{username}", user.username),
            kind=_kind(progress),
            pool_id=pool.id,
            username=user.username,
            code=code,
        )
        # MFA and sign-in codes are CustomMessage_Authentication's.
        email = custom_message.email(
            ctx, pool, custom_message.AUTHENTICATION, user, email, client_id=client.id
        )
        # What a custom sender's event carries (CustomEmailSender_Authentication).
        email.client_id, email.client_metadata = client.id, progress.client_metadata
        deliver(ctx, pool.settings, email)
        destination = mask_email(address)
    else:
        number = user.attributes.get("phone_number", "")
        text = rules.sms_template(pool.settings).replace("{####}", code)
        shaped = custom_message.text(
            ctx, pool, custom_message.AUTHENTICATION, user, text, code, client_id=client.id
        )
        sms = outbox.Sms(number, shaped.text, _kind(progress), pool.id, user.username, code)
        sms.shaped_by = shaped.shaped_by
        sms.client_id, sms.client_metadata = client.id, progress.client_metadata
        send_text(ctx, pool.settings, sms)
        destination = mask_phone(number)
    session = open_step(ctx, client, progress, challenge, {"code": _digest(code), "wrong": 0})
    return {
        "ChallengeName": challenge,
        "Session": session,
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
            "CODE_DELIVERY_DESTINATION": destination,
            "USER_ID_FOR_SRP": user.username,
        },
    }


def wrong_code(ctx: RequestContext, pending: challenges.Pending) -> AwsError:
    """Count a wrong code against the session (see MAX_WRONG_CODES); the error to raise."""
    wrong = int(pending.data.get("wrong", 0)) + 1
    if wrong >= MAX_WRONG_CODES:
        challenges.close_challenge(ctx, pending)
    else:
        challenges.update_challenge(ctx, pending, {**pending.data, "wrong": wrong})
    return AwsError("CodeMismatchException", CODE_MISMATCH)


def _verified(
    ctx: RequestContext, pool: StoredPool, user: StoredUser, medium: str, setup: str | None
) -> StoredUser:
    """A correct code proves the address or phone it went to: "A successful SMS/email MFA
    marks phone_number_verified/email_verified", and a one-time-code first factor confirms
    an UNCONFIRMED user (authentication-flows-selection-sdk.html)."""
    attribute = "email_verified" if medium == EMAIL else "phone_number_verified"
    if user.attributes.get(attribute) == "true" and user.status != UNCONFIRMED and not setup:
        return user
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        fresh = require_user(tx, pool, user.username)
        fresh.attributes[attribute] = "true"
        if fresh.status == UNCONFIRMED:
            fresh.status = CONFIRMED
        if setup:
            enable_factor(fresh, setup, prefer=True)
        save_user(tx, pool, fresh, ctx.clock.now().timestamp())
    return fresh


def _answer(challenge: str) -> Responder:
    def check_code(
        ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
    ) -> dict[str, Any] | Passed:
        answers: dict[str, str] = params.get("ChallengeResponses") or {}
        pending = challenges.find_challenge(ctx, client, params.get("Session"), challenge)
        username = answers.get("USERNAME")
        if not username:
            raise AwsError("InvalidParameterException", "Missing required parameter USERNAME")
        code = answers.get(_ANSWER[challenge])
        if not code:
            raise AwsError(
                "InvalidParameterException", f"Missing required parameter {_ANSWER[challenge]}"
            )
        with ctx.db.transaction(readonly=True) as tx:
            user = find_user(tx, pool, pending.username)
            named = find_user(tx, pool, username)
        if user is None or named is None or named.username != user.username:
            raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
        check_secret_hash(client, user.username, answers.get("SECRET_HASH"))
        if not hmac.compare_digest(_digest(code), str(pending.data.get("code"))):
            raise wrong_code(ctx, pending)
        challenges.close_challenge(ctx, pending)
        progress = progress_of(pending)
        progress.mfa_done = True
        progress.device_key = progress.device_key or answers.get("DEVICE_KEY") or None
        medium = SMS if challenge in (SMS_MFA, SMS_OTP) else EMAIL
        return Passed(_verified(ctx, pool, user, medium, progress.mfa_setup), progress)

    check_code.__name__ = f"check_{challenge.lower()}"
    return check_code


RESPONDERS: dict[str, Responder] = {name: _answer(name) for name in (SMS_MFA, EMAIL_OTP, SMS_OTP)}
