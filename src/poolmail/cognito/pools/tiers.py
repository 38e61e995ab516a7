"""Feature plans (`UserPoolTier`): which features a pool's plan allows, and AWS's refusal.

LITE < ESSENTIALS (the default for new pools) < PLUS [model]. Email MFA, passwordless
one-time codes, passkeys and choice-based sign-in (`USER_AUTH`) need ESSENTIALS or higher;
threat protection needs PLUS (cognito-sign-in-feature-plans.html, "Features by plan").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from poolmail.protocol.errors import AwsError

LITE = "LITE"
ESSENTIALS = "ESSENTIALS"
PLUS = "PLUS"
_RANK = {LITE: 0, ESSENTIALS: 1, PLUS: 2}

# Feature names as the refusal lists them. Only "Threat Protection" was seen in an AWS
# answer (hashicorp/terraform-provider-aws#40734); the others follow the console's names
# for the features. Choice: one name per feature, easy to change here.
EMAIL_MFA = "Email MFA"
PASSWORDLESS = "Passwordless"
PASSKEYS = "Passkeys"
CHOICE_BASED = "Choice-based authentication"
THREAT_PROTECTION = "Threat Protection"
ACCESS_TOKEN_CUSTOMIZATION = "Access token customization"
SESSION_TRACKING = "Session tracking"


def tier_of(settings: dict[str, Any]) -> str:
    """The plan of a pool's stored settings (pools keep ESSENTIALS unless told otherwise)."""
    return str(settings.get("UserPoolTier") or ESSENTIALS)


def allows(settings: dict[str, Any], minimum: str) -> bool:
    return _RANK[tier_of(settings)] >= _RANK[minimum]


def unavailable(tier: str, features: Iterable[str]) -> AwsError:
    # AWS's template, as seen for threat protection on ESSENTIALS
    # (hashicorp/terraform-provider-aws#40734, aws/aws-cdk#33565).
    names = ", ".join(dict.fromkeys(features))
    return AwsError(
        "FeatureUnavailableInTierException",
        f"The following features need to be disabled for the {tier} pricing tier "
        f"configured: {names}",
    )


def require(settings: dict[str, Any], minimum: str, *features: str) -> None:
    """Refuse ``features`` unless the pool's plan is at least ``minimum``."""
    if not allows(settings, minimum):
        raise unavailable(tier_of(settings), features)


def check_plan(settings: dict[str, Any]) -> None:
    """Refuse pool settings that use features above the pool's plan, all named at once, as
    AWS lists them when a pool moves to a lower plan with features still on
    (feature-plans-deactivate.html)."""
    tier = tier_of(settings)
    features: list[str] = []
    if _RANK[tier] < _RANK[ESSENTIALS]:
        if settings.get("MfaConfiguration", "OFF") != "OFF" and settings.get(
            "EmailMfaConfiguration"
        ):
            features.append(EMAIL_MFA)
        factors = ((settings.get("Policies") or {}).get("SignInPolicy") or {}).get(
            "AllowedFirstAuthFactors"
        ) or []
        if "EMAIL_OTP" in factors or "SMS_OTP" in factors:
            features.append(PASSWORDLESS)
        if "WEB_AUTHN" in factors:
            features.append(PASSKEYS)
        version = ((settings.get("LambdaConfig") or {}).get("PreTokenGenerationConfig") or {}).get(
            "LambdaVersion"
        )
        if version in ("V2_0", "V3_0"):
            features.append(ACCESS_TOKEN_CUSTOMIZATION)
        # Set by SetUserPoolSessionConfiguration, an Essentials feature [model].
        if (settings.get("session_configuration") or {}).get("UserSessionTracking") == "ENABLED":
            features.append(SESSION_TRACKING)
    if _RANK[tier] < _RANK[PLUS]:
        mode = (settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode")
        if mode in ("AUDIT", "ENFORCED"):
            features.append(THREAT_PROTECTION)
    if features:
        raise unavailable(tier, features)
