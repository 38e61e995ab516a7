"""A pool's sign-in policy (`Policies.SignInPolicy.AllowedFirstAuthFactors`): its rules on
CreateUserPool/UpdateUserPool, and what it lets a sign-in offer as a first factor.

The feature-plan side (one-time codes and passkeys need ESSENTIALS) is `tiers.check_plan`'s;
this module holds the rules the policy has on any plan.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.pools import tiers
from poolmail.protocol.errors import AwsError

PASSWORD = "PASSWORD"
EMAIL_OTP = "EMAIL_OTP"
SMS_OTP = "SMS_OTP"
WEB_AUTHN = "WEB_AUTHN"
SOFTWARE_TOKEN = "SOFTWARE_TOKEN"

# Not found: AWS's texts for these refusals (facts "Not found" 5); each names the rule.
# "The Password option is always available" (authentication-flows-selection-sdk.html);
# the CDK documents `password` as "This must be true".
PASSWORD_REQUIRED = (
    "Invalid SignInPolicy: AllowedFirstAuthFactors must include PASSWORD, which is always "
    "available as a first factor."
)
# "SOFTWARE_TOKEN is not currently supported as a first auth factor. Do not include this
# value in AllowedFirstAuthFactors." [model SignInPolicyType]
SOFTWARE_TOKEN_REFUSED = (
    "Invalid SignInPolicy: SOFTWARE_TOKEN is not supported as a first authentication factor."
)
# Not found: AWS's answer to SignUp without Password (AdminCreateUser without
# TemporaryPassword generates one instead) when the pool offers no passwordless sign-in.
PASSWORD_NEEDED = (
    "A password is required: the user pool does not offer passwordless sign-in "
    "(EMAIL_OTP or SMS_OTP in SignInPolicy AllowedFirstAuthFactors)."
)


def allowed_first_factors(settings: dict[str, Any]) -> list[str]:
    """The pool's first factors, in the order the pool lists them (PASSWORD when the pool
    names none, as new pools show it [obs DescribeUserPool])."""
    policy = (settings.get("Policies") or {}).get("SignInPolicy") or {}
    factors = policy.get("AllowedFirstAuthFactors")
    return list(dict.fromkeys(factors)) if factors else [PASSWORD]


def check_sign_in_policy(settings: dict[str, Any]) -> None:
    """The policy's own rules, checked on CreateUserPool and UpdateUserPool."""
    policy = (settings.get("Policies") or {}).get("SignInPolicy") or {}
    factors = policy.get("AllowedFirstAuthFactors")
    if not factors:
        return
    if SOFTWARE_TOKEN in factors:
        raise AwsError("InvalidParameterException", SOFTWARE_TOKEN_REFUSED)
    # PASSWORD being required also settles "The WEB_AUTHN option ... must be accompanied
    # by at least one other option" (amazon-cognito-user-pools-authentication-flow-methods).
    if PASSWORD not in factors:
        raise AwsError("InvalidParameterException", PASSWORD_REQUIRED)


def passwordless_active(settings: dict[str, Any]) -> bool:
    """Whether users may have no password: "Users can sign up without a password when your
    user pool supports passwordless sign-in with email or SMS OTPs" [model SignUp Password].
    (tiers.check_plan refuses the OTP factors below ESSENTIALS; the plan is checked here
    too for pools stored before that rule.)"""
    factors = allowed_first_factors(settings)
    offered = EMAIL_OTP in factors or SMS_OTP in factors
    return offered and tiers.allows(settings, tiers.ESSENTIALS)


def require_passwordless(settings: dict[str, Any]) -> None:
    """A user without a password is only possible where passwordless sign-in is: "You can
    only create a passwordless user when passwordless sign-in is available." [model]"""
    if not passwordless_active(settings):
        raise AwsError("InvalidParameterException", PASSWORD_NEEDED)


def email_otp_sendable(settings: dict[str, Any]) -> bool:
    """Email one-time codes go through the pool's own SES: "Requires Essentials feature plan
    or higher and Amazon SES email configuration" (user-pool-sms-settings.html, table of
    message types). Choice, AWS's answer not found: a pool on Cognito's default sender may
    list EMAIL_OTP, and sign-in simply doesn't offer it."""
    sending = (settings.get("EmailConfiguration") or {}).get("EmailSendingAccount")
    return sending == "DEVELOPER"


def sms_otp_sendable(settings: dict[str, Any]) -> bool:
    """SMS goes out through the IAM role of `SmsConfiguration` (SNS on AWS); without one
    the pool sends no SMS at all (user-pool-sms-settings.html)."""
    return bool(settings.get("SmsConfiguration"))
