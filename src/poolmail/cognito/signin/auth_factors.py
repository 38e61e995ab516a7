"""Which first factors a user can sign in with right now, as USER_AUTH offers them
(`AvailableChallenges`), and GetUserAuthFactors / AdminGetUserAuthFactors, which report them
with the user's MFA settings.

A factor is available when the pool allows it (`SignInPolicy`, its plan, how it sends
messages), the user has what it needs (a password, an email address, a phone number, a
passkey of the pool's relying party), and MFA permits it: "Passwordless authentication
flows aren't compatible with required multi-factor authentication (MFA) in your user pool.
If MFA is optional in your user pool, users who have activated MFA can't sign in with a
passwordless first factor." (amazon-cognito-user-pools-authentication-flow-methods.html)
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.mfa import state as mfa_state_of
from poolmail.cognito.mfa.rules import OFF, ON, mfa_mode
from poolmail.cognito.pools import sign_in_policy, tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import passkeys, sessions
from poolmail.cognito.signin.progress import EMAIL_OTP, PASSWORD, PASSWORD_SRP, SMS_OTP, WEB_AUTHN
from poolmail.cognito.users.users import StoredUser, require_user
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only

SOFTWARE_TOKEN = "SOFTWARE_TOKEN"
# The order of AuthFactorType [model], which the AWS CLI example of get-user-auth-factors
# follows (PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN).
_FACTOR_ORDER = (PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN, SOFTWARE_TOKEN)
# MFA factors as UserMFASettingList names them -> as AuthFactorType does.
_MFA_AS_FACTOR = {"SMS_MFA": SMS_OTP, "EMAIL_OTP": EMAIL_OTP, "SOFTWARE_TOKEN_MFA": SOFTWARE_TOKEN}


def has_password(user: StoredUser) -> bool:
    """Whether the user has a password: its SRP verifier, or a hash from before verifiers."""
    return bool(user.data.get("srp") or user.data.get("password"))


def _otp_allowed_by_mfa(pool: StoredPool, user: StoredUser) -> bool:
    mode = mfa_mode(pool.settings)
    if mode == ON:
        return False
    enabled, _ = mfa_state_of.mfa_settings(user)
    return mode == OFF or not enabled


def first_factors(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> list[str]:
    """The user's available first factors (PASSWORD once), in the pool's policy order."""
    settings = pool.settings
    passwordless = tiers.allows(settings, tiers.ESSENTIALS)
    otp_ok = passwordless and _otp_allowed_by_mfa(pool, user)
    available = []
    for factor in sign_in_policy.allowed_first_factors(settings):
        if factor == PASSWORD:
            usable = has_password(user)
        elif factor == EMAIL_OTP:
            usable = (
                otp_ok
                and bool(user.attributes.get("email"))
                and sign_in_policy.email_otp_sendable(settings)
            )
        elif factor == SMS_OTP:
            usable = (
                otp_ok
                and bool(user.attributes.get("phone_number"))
                and sign_in_policy.sms_otp_sendable(settings)
            )
        elif factor == WEB_AUTHN:
            usable = passwordless and passkeys.web_authn_allowed_with_mfa(pool, user)
            if usable:
                with ctx.db.transaction(readonly=True) as tx:
                    usable = bool(passkeys.usable_credentials(tx, pool, user))
        else:
            usable = False
        if usable:
            available.append(factor)
    return available


def available_challenges(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> list[str]:
    """`AvailableChallenges` of USER_AUTH: the first factors, the password as both PASSWORD
    and PASSWORD_SRP (a password-only user gets ["PASSWORD", "PASSWORD_SRP"], as tutorials
    show AWS answering)."""
    challenges: list[str] = []
    for factor in first_factors(ctx, pool, user):
        challenges += [PASSWORD, PASSWORD_SRP] if factor == PASSWORD else [factor]
    return challenges


def _auth_factors(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> dict[str, Any]:
    """GetUserAuthFactors' answer: "The authentication types that are available to the user
    with USER_AUTH sign-in" [model], first factors and MFA factors alike (SOFTWARE_TOKEN
    "can only be used as an MFA factor"), in AuthFactorType order."""
    factors = set(first_factors(ctx, pool, user))
    enabled, _ = mfa_state_of.mfa_settings(user)
    factors.update(_MFA_AS_FACTOR[name] for name in enabled if name in _MFA_AS_FACTOR)
    mfa = mfa_state_of.user_mfa_members(user)
    result: dict[str, Any] = {"Username": user.username}
    if "PreferredMfaSetting" in mfa:
        result["PreferredMfaSetting"] = mfa["PreferredMfaSetting"]
    if "UserMFASettingList" in mfa:
        result["UserMFASettingList"] = mfa["UserMFASettingList"]
    result["ConfiguredUserAuthFactors"] = [name for name in _FACTOR_ORDER if name in factors]
    return result


@local_only
def get_user_auth_factors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    return _auth_factors(caller.ctx, caller.pool, caller.user)


@local_only
def admin_get_user_auth_factors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        user = require_user(tx, pool, params["Username"])
    return _auth_factors(ctx, pool, user)


OPERATIONS: dict[str, Handler] = {
    "GetUserAuthFactors": get_user_auth_factors,
    "AdminGetUserAuthFactors": admin_get_user_auth_factors,
}
