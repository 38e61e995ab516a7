"""A user's MFA factors and preference: SetUserMFAPreference, AdminSetUserMFAPreference,
the legacy (Admin)SetUserSettings and AdminDeleteSoftwareToken (the record they change is
described in `state`).
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.mfa.rules import email_mfa_on, pool_requires_mfa
from poolmail.cognito.mfa.state import (
    EMAIL_OTP,
    FACTORS,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    has_totp,
    mfa_state,
)
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import sessions
from poolmail.cognito.users.users import StoredUser, require_user, save_user, users_lock
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

# AWS's texts as users report them: enabling TOTP before verifying a token
# (aws/aws-sdk-js-v3#4645, amplify-js#7016). The SMS and email forms follow the TOTP
# one (not found).
NO_DELIVERY = "User does not have delivery config set to turn on {factor}"
TOTP_NOT_VERIFIED = "User has not verified software token mfa"
# Not found: AWS's texts for these refusals; each says what is wrong in the model's terms.
SEVERAL_PREFERRED = "Only one MFA method can be set as preferred."
PREFER_DISABLED = "An MFA method can only be preferred when it is enabled."
REQUIRED_BY_POOL = "MFA cannot be turned off for a user when the user pool requires MFA."
WEBAUTHN_MFA_OFF = (
    "WebAuthn MFA requires the user pool's WebAuthn factor configuration "
    "MULTI_FACTOR_WITH_USER_VERIFICATION."
)
WEBAUTHN_ALONE = "WebAuthn MFA requires at least one other MFA method to be enabled."

_MEMBERS = {
    "SMSMfaSettings": SMS_MFA,
    "SoftwareTokenMfaSettings": SOFTWARE_TOKEN_MFA,
    "EmailMfaSettings": EMAIL_OTP,
}


def _check_deliverable(pool: StoredPool, user: StoredUser, factor: str) -> None:
    if factor == SMS_MFA and not user.attributes.get("phone_number"):
        raise AwsError("InvalidParameterException", NO_DELIVERY.format(factor=factor))
    if factor == EMAIL_OTP:
        if not user.attributes.get("email"):
            raise AwsError("InvalidParameterException", NO_DELIVERY.format(factor=factor))
        if not email_mfa_on(pool.settings):
            # Email MFA must first be configured on the pool (SetUserPoolMfaConfig).
            raise AwsError(
                "InvalidParameterException", "Email MFA is not enabled for the user pool."
            )
    if factor == SOFTWARE_TOKEN_MFA and not has_totp(user):
        raise AwsError("InvalidParameterException", TOTP_NOT_VERIFIED)


def apply_preference(pool: StoredPool, user: StoredUser, params: dict[str, Any]) -> None:
    """SetUserMFAPreference's rules on ``user`` [model]: factors not named stay as they are;
    at most one preferred; a factor must be deliverable (phone, email, verified TOTP) to be
    turned on; with MFA required by the pool a factor can be preferred but not turned off."""
    state = mfa_state(user)
    enabled = set(state["enabled"])
    preferred = state.get("preferred")
    named_preferred = [
        factor
        for member, factor in _MEMBERS.items()
        if (params.get(member) or {}).get("PreferredMfa")
    ]
    if len(named_preferred) > 1:
        raise AwsError("InvalidParameterException", SEVERAL_PREFERRED)
    for member, factor in _MEMBERS.items():
        settings = params.get(member)
        if settings is None:
            continue
        turn_on = settings.get("Enabled")
        if settings.get("PreferredMfa") and turn_on is False:
            raise AwsError("InvalidParameterException", PREFER_DISABLED)
        if turn_on or settings.get("PreferredMfa"):
            _check_deliverable(pool, user, factor)
            enabled.add(factor)
        elif turn_on is False:
            if factor in enabled and pool_requires_mfa(pool.settings):
                raise AwsError("InvalidParameterException", REQUIRED_BY_POOL)
            enabled.discard(factor)
            if preferred == factor:
                preferred = None
        if settings.get("PreferredMfa"):
            preferred = factor
        elif settings.get("PreferredMfa") is False and preferred == factor:
            preferred = None
    webauthn = params.get("WebAuthnMfaSettings")
    if webauthn is not None:
        if webauthn.get("Enabled"):
            factor_config = (pool.settings.get("WebAuthnConfiguration") or {}).get(
                "FactorConfiguration"
            )
            if factor_config != "MULTI_FACTOR_WITH_USER_VERIFICATION":
                raise AwsError("InvalidParameterException", WEBAUTHN_MFA_OFF)
            if not enabled:
                raise AwsError("InvalidParameterException", WEBAUTHN_ALONE)
        state["webauthn"] = bool(webauthn.get("Enabled"))
    state["enabled"] = [factor for factor in FACTORS if factor in enabled]
    state["preferred"] = preferred if preferred in enabled else None
    state["set"] = True


# ---- operations -------------------------------------------------------------------------


def set_user_mfa_preference(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool_id = caller.pool.id
    with caller.ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        user = require_user(tx, caller.pool, caller.user.username)
        apply_preference(caller.pool, user, params)
        save_user(tx, caller.pool, user, ctx.clock.now().timestamp())
    return {}


def admin_set_user_mfa_preference(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        apply_preference(pool, user, params)
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    return {}


def _apply_settings(pool: StoredPool, user: StoredUser, options: list[dict[str, Any]]) -> None:
    """The legacy MFAOptions: "no longer supported", SMS only [model]. A list naming SMS
    turns SMS MFA on; an empty list turns it off."""
    for option in options:
        if option.get("DeliveryMedium") != "SMS" or option.get("AttributeName") != "phone_number":
            # Not found: AWS's text; MFAOptions accepts only SMS to phone_number [model].
            raise AwsError(
                "InvalidParameterException",
                "Only SMS delivery to phone_number is supported for MFAOptions.",
            )
    state = mfa_state(user)
    if options:
        _check_deliverable(pool, user, SMS_MFA)
        state["legacy_sms"] = True
        if SMS_MFA not in state["enabled"]:
            state["enabled"] = [f for f in FACTORS if f in {*state["enabled"], SMS_MFA}]
    else:
        state["legacy_sms"] = False
        state["enabled"] = [f for f in state["enabled"] if f != SMS_MFA]
        if state.get("preferred") == SMS_MFA:
            state["preferred"] = None


def set_user_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
        user = require_user(tx, caller.pool, caller.user.username)
        _apply_settings(caller.pool, user, params["MFAOptions"])
        save_user(tx, caller.pool, user, ctx.clock.now().timestamp())
    return {}


def admin_set_user_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        _apply_settings(pool, user, params["MFAOptions"])
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    return {}


def admin_delete_software_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Forget the user's authenticator app: TOTP MFA is off until a new one is verified."""
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        state = mfa_state(user)
        state.pop("totp", None)
        state.pop("totp_pending", None)
        state["enabled"] = [f for f in state["enabled"] if f != SOFTWARE_TOKEN_MFA]
        if state.get("preferred") == SOFTWARE_TOKEN_MFA:
            state["preferred"] = None
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    return {}


OPERATIONS: dict[str, Handler] = {
    "SetUserMFAPreference": set_user_mfa_preference,
    "AdminSetUserMFAPreference": admin_set_user_mfa_preference,
    "SetUserSettings": set_user_settings,
    "AdminSetUserSettings": admin_set_user_settings,
    "AdminDeleteSoftwareToken": admin_delete_software_token,
}
