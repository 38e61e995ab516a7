"""The MFA step of a sign-in: which challenge a user must answer after the first factor
(SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE or MFA_SETUP), and the answers to
SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE and MFA_SETUP (SMS and email codes are `otp`'s).

When [model; user-pool-settings-mfa.html]: MfaConfiguration OFF, never; OPTIONAL, for a
user with a factor turned on; ON, always, and a user with no factor sets one up
(MFA_SETUP). The preferred factor is asked; with several and none preferred the user
chooses (SELECT_MFA_TYPE).
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.mfa import rules
from poolmail.cognito.mfa.state import (
    EMAIL_OTP,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    enable_factor,
    mfa_settings,
    mfa_state,
)
from poolmail.cognito.mfa.totp import MFA_SETUP, code_matches
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges, otp, sessions
from poolmail.cognito.signin.progress import (
    Passed,
    Progress,
    Responder,
    open_step,
    progress_of,
)
from poolmail.cognito.signin.tokens import TokenReads
from poolmail.cognito.users.users import (
    StoredUser,
    check_secret_hash,
    find_user,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

SELECT_MFA_TYPE = "SELECT_MFA_TYPE"

# AWS's texts: a user without TOTP answering its challenge (amazon-cognito-identity-js#630).
NO_TOTP = "Software Token MFA does not exist for the user."
# Not found: AWS's text for a SELECT_MFA_TYPE answer that is not one of the choices.
BAD_CHOICE = "Invalid MFA type given: {answer}"


def _usable(pool: StoredPool, user: StoredUser, factor: str) -> bool:
    if factor == SMS_MFA:
        return rules.sms_mfa_on(pool.settings) and bool(user.attributes.get("phone_number"))
    if factor == EMAIL_OTP:
        return rules.email_mfa_on(pool.settings) and bool(user.attributes.get("email"))
    # "Users who verified TOTP keep using it if the pool later disables TOTP"
    # (user-pool-settings-mfa-totp.html).
    return bool(mfa_state(user).get("totp"))


def ask(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
    factor: str,
) -> dict[str, Any]:
    """Send the code of ``factor`` (SMS and email) and return its challenge."""
    if factor == SMS_MFA:
        return otp.send(ctx, pool, client, user, progress, otp.SMS, SMS_MFA)
    if factor == EMAIL_OTP:
        return otp.send(ctx, pool, client, user, progress, otp.EMAIL, EMAIL_OTP)
    totp = mfa_state(user).get("totp") or {}
    parameters = {"USER_ID_FOR_SRP": user.username}
    if totp.get("name"):
        parameters["FRIENDLY_DEVICE_NAME"] = str(totp["name"])
    session = open_step(ctx, client, progress, SOFTWARE_TOKEN_MFA)
    return {
        "ChallengeName": SOFTWARE_TOKEN_MFA,
        "Session": session,
        "ChallengeParameters": parameters,
    }


def may_ask(pool: StoredPool, user: StoredUser) -> bool:
    """Whether ``mfa_step`` may ask this user anything (a cheap check, before it runs)."""
    mode = rules.mfa_mode(pool.settings)
    return mode != rules.OFF and (mode == rules.ON or bool(mfa_settings(user)[0]))


def mfa_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """The MFA challenge this sign-in must answer next, or None when it needs none."""
    mode = rules.mfa_mode(pool.settings)
    if mode == rules.OFF:
        return None
    enabled, preferred = mfa_settings(user)
    usable = [factor for factor in enabled if _usable(pool, user, factor)]
    if not usable and mode == rules.ON and _usable(pool, user, SMS_MFA):
        # AWS quirk: an MFA-required pool asks SMS_MFA of a user with a phone number even
        # when SMS_MFA is not among the user's settings (aws-amplify/amplify-js#11258).
        usable = [SMS_MFA]
    if not usable:
        if mode == rules.OPTIONAL:
            return None
        session = open_step(ctx, client, progress, MFA_SETUP)
        return {
            "ChallengeName": MFA_SETUP,
            "Session": session,
            # A JSON-encoded list, which clients parse (amplify-js parseMFATypes).
            "ChallengeParameters": {
                "MFAS_CAN_SETUP": json.dumps(rules.pool_factors(pool.settings)),
                "USER_ID_FOR_SRP": user.username,
            },
        }
    if preferred in usable:
        return ask(ctx, pool, client, user, progress, str(preferred))
    if len(usable) == 1:
        return ask(ctx, pool, client, user, progress, usable[0])
    session = open_step(ctx, client, progress, SELECT_MFA_TYPE, {"choices": usable})
    return {
        "ChallengeName": SELECT_MFA_TYPE,
        "Session": session,
        "ChallengeParameters": {
            "MFAS_CAN_CHOOSE": json.dumps(usable),
            "USER_ID_FOR_SRP": user.username,
        },
    }


# ---- answers ----------------------------------------------------------------------------


def _answers(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    params: dict[str, Any],
    challenge: str,
    reads: list[TokenReads | None] | None = None,
) -> tuple[dict[str, str], challenges.Pending, StoredUser]:
    """The answers, the open challenge and its user, checked as every answer is; with
    ``reads``, the tokens' reads (``sessions.read_for_tokens``) go there, made alongside."""
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    # The challenge and its user in one read-only transaction: the answer writes nothing
    # before it is checked.
    with ctx.db.transaction(readonly=True) as tx:
        pending = challenges.read_challenge(ctx, tx, client, params.get("Session"), challenge)
        username = answers.get("USERNAME")
        if not username:
            raise AwsError("InvalidParameterException", "Missing required parameter USERNAME")
        user = find_user(tx, pool, pending.username)
        # The same name finds the same row: no second look-up (nor decoding) for it.
        named = user if username == pending.username else find_user(tx, pool, username)
        if reads is not None and user is not None:
            reads.append(sessions.read_for_tokens(tx, pool, user))
    if user is None or named is None or named.username != user.username:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    check_secret_hash(client, user.username, answers.get("SECRET_HASH"))
    return answers, pending, user


def _software_token(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    reads: list[TokenReads | None] = []
    answers, pending, user = _answers(ctx, pool, client, params, SOFTWARE_TOKEN_MFA, reads)
    code = answers.get("SOFTWARE_TOKEN_MFA_CODE")
    if not code:
        raise AwsError(
            "InvalidParameterException", "Missing required parameter SOFTWARE_TOKEN_MFA_CODE"
        )
    totp = mfa_state(user).get("totp")
    if not totp:
        raise AwsError("SoftwareTokenMFANotFoundException", NO_TOTP)
    if not code_matches(str(totp["secret"]), code, ctx.clock.now().timestamp()):
        raise otp.wrong_code(ctx, pending)
    read = reads[0] if reads else None
    if read is None:
        challenges.close_challenge(ctx, pending)
    progress = progress_of(pending)
    progress.mfa_done = True
    progress.device_key = progress.device_key or answers.get("DEVICE_KEY") or None
    # With the tokens' reads made (a pool without functions), the challenge closes in the
    # sign-in's one write: a transaction (and its savepoint) fewer.
    return Passed(user, progress, read, closing=pending if read is not None else None)


def _select_mfa_type(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    answers, pending, user = _answers(ctx, pool, client, params, SELECT_MFA_TYPE)
    answer = answers.get("ANSWER") or ""
    # The model's documentation names email MFA `EMAIL_MFA`, the challenge is EMAIL_OTP
    # (amplify-js sends EMAIL_OTP): both are taken.
    factor = EMAIL_OTP if answer == "EMAIL_MFA" else answer
    if factor not in pending.data.get("choices", []):
        raise AwsError("InvalidParameterException", BAD_CHOICE.format(answer=answer))
    challenges.close_challenge(ctx, pending)
    return ask(ctx, pool, client, user, progress_of(pending), factor)


def _mfa_setup(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    answers, pending, user = _answers(ctx, pool, client, params, MFA_SETUP)
    progress = progress_of(pending)
    if pending.data.get("totp_verified"):
        # The Session VerifySoftwareToken returned: the new app is the user's MFA.
        challenges.close_challenge(ctx, pending)
        with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
            fresh = require_user(tx, pool, user.username)
            enable_factor(fresh, SOFTWARE_TOKEN_MFA, prefer=True)
            save_user(tx, pool, fresh, ctx.clock.now().timestamp())
        progress.mfa_done = True
        return Passed(fresh, progress)
    address = answers.get("EMAIL")
    if address and rules.email_mfa_on(pool.settings):
        # Email MFA set up in the sign-in: the address gets a code, and answering it
        # turns email MFA on (amplify-js handleMFASetupChallenge).
        challenges.close_challenge(ctx, pending)
        with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
            fresh = require_user(tx, pool, user.username)
            if fresh.attributes.get("email") != address:
                fresh.attributes["email"] = address
                fresh.attributes["email_verified"] = "false"
                save_user(tx, pool, fresh, ctx.clock.now().timestamp())
        progress.mfa_setup = EMAIL_OTP
        return otp.send(ctx, pool, client, fresh, progress, otp.EMAIL, EMAIL_OTP)
    # Only the Session of a successful VerifySoftwareToken (or an address for email MFA)
    # satisfies MFA_SETUP [model].
    raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)


RESPONDERS: dict[str, Responder] = {
    SOFTWARE_TOKEN_MFA: _software_token,
    SELECT_MFA_TYPE: _select_mfa_type,
    MFA_SETUP: _mfa_setup,
    **otp.RESPONDERS,
}
