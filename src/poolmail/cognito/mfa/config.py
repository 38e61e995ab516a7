"""A pool's MFA configuration: SetUserPoolMfaConfig and GetUserPoolMfaConfig (the rules
they apply are in `rules`)."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.mfa.rules import (
    NO_FACTORS,
    OFF,
    OFF_WITH_FACTORS,
    ON,
    OPTIONAL,
    check_pool_mfa,
    mfa_mode,
    pool_factors,
)
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import load_pool, save_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError


def _apply(settings: dict[str, Any], params: dict[str, Any]) -> None:
    mode = params.get("MfaConfiguration")
    sms = params.get("SmsMfaConfiguration")
    totp = params.get("SoftwareTokenMfaConfiguration")
    email = params.get("EmailMfaConfiguration")
    # "Only OFF" turns MFA off; OFF beside a factor is refused (WebAuthnConfiguration is
    # the passkey set-up, not a factor, and may come with OFF).
    if mode == OFF and (sms is not None or totp is not None or email is not None):
        raise AwsError("InvalidParameterException", OFF_WITH_FACTORS)
    if mode is not None:
        settings["MfaConfiguration"] = mode
    if mode == OFF:
        settings.pop("SoftwareTokenMfaConfiguration", None)
        settings.pop("EmailMfaConfiguration", None)
    elif mode is not None:
        # Choice: the request states the whole factor set; a factor left out is off. SMS
        # stays once configured (it cannot be disabled, see sms_mfa_on).
        settings["SoftwareTokenMfaConfiguration"] = {"Enabled": bool((totp or {}).get("Enabled"))}
        if email is not None:
            if email.get("Message") is not None or email.get("Subject") is not None:
                tiers.require(settings, tiers.ESSENTIALS, tiers.EMAIL_MFA)
            settings["EmailMfaConfiguration"] = dict(email)
        else:
            settings.pop("EmailMfaConfiguration", None)
    if sms is not None:
        if sms.get("SmsAuthenticationMessage") is not None:
            settings["SmsAuthenticationMessage"] = sms["SmsAuthenticationMessage"]
        if sms.get("SmsConfiguration") is not None:
            settings["SmsConfiguration"] = dict(sms["SmsConfiguration"])
    webauthn = params.get("WebAuthnConfiguration")
    if webauthn is not None:
        tiers.require(settings, tiers.ESSENTIALS, tiers.PASSKEYS)
        settings["WebAuthnConfiguration"] = {
            "UserVerification": "preferred",
            **webauthn,
        }
    if mode in (ON, OPTIONAL) and not pool_factors(settings):
        raise AwsError("InvalidParameterException", NO_FACTORS)
    check_pool_mfa(settings)


def mfa_config_members(settings: dict[str, Any]) -> dict[str, Any]:
    """What SetUserPoolMfaConfig and GetUserPoolMfaConfig answer."""
    result: dict[str, Any] = {"MfaConfiguration": mfa_mode(settings)}
    if settings.get("SmsConfiguration"):
        sms: dict[str, Any] = {"SmsConfiguration": settings["SmsConfiguration"]}
        if settings.get("SmsAuthenticationMessage"):
            sms["SmsAuthenticationMessage"] = settings["SmsAuthenticationMessage"]
        result["SmsMfaConfiguration"] = sms
    if settings.get("SoftwareTokenMfaConfiguration") is not None:
        result["SoftwareTokenMfaConfiguration"] = settings["SoftwareTokenMfaConfiguration"]
    if settings.get("EmailMfaConfiguration") is not None:
        result["EmailMfaConfiguration"] = settings["EmailMfaConfiguration"]
    if settings.get("WebAuthnConfiguration") is not None:
        result["WebAuthnConfiguration"] = settings["WebAuthnConfiguration"]
    return result


def set_user_pool_mfa_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _apply(pool.settings, params)
        pool.modified = ctx.clock.now().timestamp()
        save_pool(tx, pool)
    return mfa_config_members(pool.settings)


@local_only
def get_user_pool_mfa_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
    return mfa_config_members(pool.settings)


OPERATIONS: dict[str, Handler] = {
    "SetUserPoolMfaConfig": set_user_pool_mfa_config,
    "GetUserPoolMfaConfig": get_user_pool_mfa_config,
}
