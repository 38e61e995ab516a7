"""The rules of a pool's MFA configuration, shared by SetUserPoolMfaConfig and by
CreateUserPool/UpdateUserPool, and what they imply for a sign-in: the factors a pool offers
and the texts of its one-time codes.

`MfaConfiguration`, `SmsConfiguration` and `SmsAuthenticationMessage` are pool members;
`SoftwareTokenMfaConfiguration`, `EmailMfaConfiguration` and `WebAuthnConfiguration` are
kept beside them in the pool's settings (UserPoolType has no such members, so
DescribeUserPool leaves them out, as AWS does).
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.pools import tiers
from poolmail.protocol.errors import AwsError

OFF = "OFF"
ON = "ON"
OPTIONAL = "OPTIONAL"

# AWS's texts (facts: go-to-k/cdkd#1923, aws/aws-sdk-js#4186, aws/aws-cdk#11478).
OFF_WITH_FACTORS = (
    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
)
NO_FACTORS = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
    "configuration."
)
SMS_REQUIRED = (
    "SMS configuration and Auto verification for phone_number are required when MFA is "
    "required/optional"
)
PHONE_RECOVERY = (
    "Invalid account recovery setting parameter. Account Recovery Setting cannot use "
    "verified_phone_number as a recovery mechanism when SMS MFA is configured."
)
# Not found: AWS's texts for email MFA on a pool that sends through Cognito's default
# sender, and for email MFA beside email-only account recovery. Both preconditions are
# documented (user-pool-settings-mfa-sms-email-message.html "Considerations"; model
# AccountRecoverySetting); the texts say which one failed.
EMAIL_NEEDS_SES = (
    "Email MFA requires the user pool to send email with Amazon SES: set "
    "EmailConfiguration EmailSendingAccount to DEVELOPER."
)
EMAIL_RECOVERY = (
    "Invalid account recovery setting parameter. Account Recovery Setting cannot use "
    "verified_email as the only recovery mechanism when email MFA is configured."
)

# Not found: the default email MFA/OTP message and subject. Cognito's own verification
# texts are the plausible choice (facts §7), easy to change here.
DEFAULT_EMAIL_MESSAGE = "Your verification code is {####}. "
DEFAULT_EMAIL_SUBJECT = "Your verification code"
# The console's default for SMS MFA (awscli example describe-user-pool.rst).
DEFAULT_SMS_MESSAGE = "Your verification code is {####}. "


def mfa_mode(settings: dict[str, Any]) -> str:
    return str(settings.get("MfaConfiguration") or OFF)


def pool_requires_mfa(settings: dict[str, Any]) -> bool:
    return mfa_mode(settings) == ON


def sms_mfa_on(settings: dict[str, Any]) -> bool:
    # "After you configure SMS in your user pool, you can't disable SMS messages as an
    # available MFA factor" (user-pool-settings-mfa-sms-email-message.html).
    return mfa_mode(settings) != OFF and bool(settings.get("SmsConfiguration"))


def totp_mfa_on(settings: dict[str, Any]) -> bool:
    config = settings.get("SoftwareTokenMfaConfiguration") or {}
    return mfa_mode(settings) != OFF and bool(config.get("Enabled"))


def email_mfa_on(settings: dict[str, Any]) -> bool:
    return mfa_mode(settings) != OFF and settings.get("EmailMfaConfiguration") is not None


def pool_factors(settings: dict[str, Any]) -> list[str]:
    """The MFA factors the pool offers, as MFAS_CAN_SETUP names them."""
    factors = []
    if sms_mfa_on(settings):
        factors.append("SMS_MFA")
    if totp_mfa_on(settings):
        factors.append("SOFTWARE_TOKEN_MFA")
    if email_mfa_on(settings):
        factors.append("EMAIL_OTP")
    return factors


def email_template(settings: dict[str, Any]) -> tuple[str, str]:
    """(message, subject) of email MFA and email one-time codes. "You can only customize
    the MFA message template when MFA is required or optional in your user pool. When MFA
    is inactive, Amazon Cognito sends one-time passwords with the default template."
    (user-pool-sms-settings.html, footnote 3)"""
    config = settings.get("EmailMfaConfiguration") or {}
    if mfa_mode(settings) == OFF:
        config = {}
    return (
        str(config.get("Message") or DEFAULT_EMAIL_MESSAGE),
        str(config.get("Subject") or DEFAULT_EMAIL_SUBJECT),
    )


def sms_template(settings: dict[str, Any]) -> str:
    if mfa_mode(settings) == OFF:
        return DEFAULT_SMS_MESSAGE
    return str(settings.get("SmsAuthenticationMessage") or DEFAULT_SMS_MESSAGE)


def _recovery(settings: dict[str, Any]) -> list[str]:
    mechanisms = (settings.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    return [str(entry.get("Name")) for entry in mechanisms]


def check_pool_mfa(settings: dict[str, Any]) -> None:
    """The rules that tie MFA to the rest of a pool's settings, checked whenever a request
    changes either (CreateUserPool, UpdateUserPool, SetUserPoolMfaConfig)."""
    mode = mfa_mode(settings)
    if mode == OFF:
        return
    # With neither TOTP nor email, SMS is the only factor. Seen refused: pools with no
    # SmsConfiguration (aws/aws-cdk#11478, #12075, with and without phone_number
    # auto-verified). Not found: a refusal of a pool that has an SmsConfiguration but does
    # not auto-verify phone_number, despite the text; such a pool is accepted.
    sms_only = not totp_mfa_on(settings) and not email_mfa_on(settings)
    if sms_only and not settings.get("SmsConfiguration"):
        raise AwsError("InvalidParameterException", SMS_REQUIRED)
    recovery = _recovery(settings)
    if mode == ON and sms_mfa_on(settings) and "verified_phone_number" in recovery:
        raise AwsError("InvalidParameterException", PHONE_RECOVERY)
    if email_mfa_on(settings):
        tiers.require(settings, tiers.ESSENTIALS, tiers.EMAIL_MFA)
        sending = (settings.get("EmailConfiguration") or {}).get("EmailSendingAccount")
        if sending != "DEVELOPER":
            raise AwsError("InvalidParameterException", EMAIL_NEEDS_SES)
        if recovery == ["verified_email"]:
            raise AwsError("InvalidParameterException", EMAIL_RECOVERY)
