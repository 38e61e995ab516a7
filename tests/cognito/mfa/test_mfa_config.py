"""A pool's MFA configuration and feature plan through boto3: SetUserPoolMfaConfig and
GetUserPoolMfaConfig with AWS's validation, email MFA's preconditions, tier refusals."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_pool
from tests.cognito.mfa.helpers import DOMAIN_ARN, SMS_ROLE
from tests.ses.helpers import verify
from tests.support.server import ServerProcess

SES_EMAIL = {"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"}


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_set_and_get_round_trip(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live, SmsConfiguration=SMS_ROLE, AutoVerifiedAttributes=["phone_number"])
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"
    answer = cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        SmsMfaConfiguration={
            "SmsAuthenticationMessage": "Code {####}",
            "SmsConfiguration": SMS_ROLE,
        },
        WebAuthnConfiguration={"RelyingPartyId": "auth.example.com"},
    )
    answer.pop("ResponseMetadata")
    expected = {
        "MfaConfiguration": "OPTIONAL",
        "SmsMfaConfiguration": {
            "SmsAuthenticationMessage": "Code {####}",
            "SmsConfiguration": SMS_ROLE,
        },
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "WebAuthnConfiguration": {
            "RelyingPartyId": "auth.example.com",
            "UserVerification": "preferred",
        },
    }
    assert answer == expected
    got = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    got.pop("ResponseMetadata")
    assert got == expected
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["SmsAuthenticationMessage"] == "Code {####}"


def test_awss_validation_messages(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    assert refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="OFF",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    ) == (
        "InvalidParameterException",
        "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
    )
    assert refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": False},
    ) == (
        "InvalidParameterException",
        "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
        "configuration.",
    )
    # Nothing changed.
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"
    assert refused(cognito.create_user_pool, PoolName="p", MfaConfiguration="ON") == (
        "InvalidParameterException",
        "SMS configuration and Auto verification for phone_number are required when MFA is "
        "required/optional",
    )
    assert refused(
        cognito.create_user_pool,
        PoolName="p",
        MfaConfiguration="ON",
        SmsConfiguration=SMS_ROLE,
        AutoVerifiedAttributes=["phone_number"],
        AccountRecoverySetting={
            "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_phone_number"}]
        },
    ) == (
        "InvalidParameterException",
        "Invalid account recovery setting parameter. Account Recovery Setting cannot use "
        "verified_phone_number as a recovery mechanism when SMS MFA is configured.",
    )
    assert refused(
        cognito.set_user_pool_mfa_config, UserPoolId="us-east-1_missing1", MfaConfiguration="OFF"
    ) == ("ResourceNotFoundException", "User pool us-east-1_missing1 does not exist.")


def test_email_mfa_needs_ses_sending(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    code, message = refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    assert code == "InvalidParameterException"
    assert "EmailSendingAccount" in message
    verify(live, "example.com")
    cognito.update_user_pool(UserPoolId=pool_id, EmailConfiguration=SES_EMAIL)
    cognito.update_user_pool(
        UserPoolId=pool_id,
        EmailConfiguration=SES_EMAIL,
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    )
    code, message = refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    assert code == "InvalidParameterException"
    assert "verified_email" in message
    cognito.update_user_pool(UserPoolId=pool_id, EmailConfiguration=SES_EMAIL)
    answer = cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    assert answer["EmailMfaConfiguration"] == {"Message": "Code {####}", "Subject": "Code"}
    # Back to Cognito's default sender while email MFA is on: refused, nothing changed.
    code, _ = refused(
        cognito.update_user_pool,
        UserPoolId=pool_id,
        EmailConfiguration={"EmailSendingAccount": "COGNITO_DEFAULT"},
    )
    assert code == "InvalidParameterException"
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"


def test_tier_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    verify(live, "example.com")
    lite = cognito.create_user_pool(
        PoolName="lite", UserPoolTier="LITE", EmailConfiguration=SES_EMAIL
    )
    pool_id = lite["UserPool"]["Id"]
    assert lite["UserPool"]["UserPoolTier"] == "LITE"
    assert (
        make_pool(live)
        and idp(live).describe_user_pool(UserPoolId=make_pool(live))["UserPool"]["UserPoolTier"]
        == "ESSENTIALS"
    )
    lite_refusal = ("FeatureUnavailableInTierException",)
    code, message = refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    assert (code,) == lite_refusal
    assert message == (
        "The following features need to be disabled for the LITE pricing tier configured: Email MFA"
    )
    code, message = refused(
        cognito.set_user_pool_mfa_config,
        UserPoolId=pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "auth.example.com"},
    )
    assert (code,) == lite_refusal
    assert message.endswith("Passkeys")
    code, message = refused(
        cognito.update_user_pool,
        UserPoolId=pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
    )
    assert (code,) == lite_refusal
    assert message.endswith("Passwordless")
    # TOTP and SMS MFA are on every plan.
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    # Threat protection needs Plus, which a pool gets by default when it asks for it.
    code, message = refused(
        cognito.update_user_pool,
        UserPoolId=make_pool(live),
        UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )
    assert message == (
        "The following features need to be disabled for the ESSENTIALS pricing tier "
        "configured: Threat Protection"
    )
    plus = cognito.create_user_pool(
        PoolName="plus", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}
    )["UserPool"]
    assert plus["UserPoolTier"] == "PLUS"
    # Moving an email-MFA pool down to Lite is refused until email MFA is off.
    essentials = make_pool(live, EmailConfiguration=SES_EMAIL)
    cognito.set_user_pool_mfa_config(
        UserPoolId=essentials,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    code, message = refused(
        cognito.update_user_pool,
        UserPoolId=essentials,
        EmailConfiguration=SES_EMAIL,
        UserPoolTier="LITE",
    )
    assert (code, message.split(": ")[-1]) == ("FeatureUnavailableInTierException", "Email MFA")
