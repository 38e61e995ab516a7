"""UpdateUserPool: each member a request leaves out is reset or kept as the omission table
says; create-only settings stay; the DescribeUserPool -> UpdateUserPool recipe is a no-op."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.cognito.pools.pool_updates import DEFAULTS, OMISSION_RULES, OMISSIONS
from poolmail.protocol.models import service_model
from tests.ses.helpers import advance
from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

# A pool with every updatable member set away from its default.
FULL: dict[str, Any] = {
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True}},
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre"},
    "AutoVerifiedAttributes": ["email"],
    "VerificationMessageTemplate": {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Your code: {####}",
        "EmailSubject": "Your code",
        "SmsMessage": "Code {####}",
    },
    "SmsAuthenticationMessage": "Sign-in code {####}",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "MfaConfiguration": "OPTIONAL",
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True},
    "EmailConfiguration": {"ReplyToEmailAddress": "help@example.org"},
    "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
    "UserPoolTags": {"team": "shop"},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 3},
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "UserPoolTier": "PLUS",
}
CREATE_ONLY: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "Schema": [{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
}


def full_pool(server: ServerProcess) -> dict[str, Any]:
    cognito = server.client("cognito-idp")
    pool: dict[str, Any] = cognito.create_user_pool(PoolName="shop", **FULL, **CREATE_ONLY)[
        "UserPool"
    ]
    return pool


def test_the_table_covers_every_updatable_member() -> None:
    model = service_model("cognito-idp")
    update = set(model.operation_model("UpdateUserPool").input_shape.members) - {"UserPoolId"}
    assert set(OMISSION_RULES) == update
    assert len(OMISSIONS) == len(OMISSION_RULES)
    assert all(entry.source for entry in OMISSIONS)
    kept = {entry.member for entry in OMISSIONS if entry.when_omitted == "keep"}
    assert kept == {
        "Policies",
        "MfaConfiguration",
        "UserPoolTags",
        "PoolName",
        "UserPoolTier",
        "DcrConfiguration",
        "KeyConfiguration",
        "IssuerConfiguration",
    }
    # A member that resets either has AWS's default or disappears from DescribeUserPool.
    assert "AutoVerifiedAttributes" not in DEFAULTS
    assert DEFAULTS["EmailConfiguration"]() == {"EmailSendingAccount": "COGNITO_DEFAULT"}


def test_an_update_naming_nothing_resets_and_keeps_as_the_table_says(
    live: ServerProcess,
) -> None:
    created = full_pool(live)
    assert created["AutoVerifiedAttributes"] == ["email"]
    advance(live, 60)
    cognito = live.client("cognito-idp")
    cognito.update_user_pool(UserPoolId=created["Id"])
    after = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]

    # Reset to AWS's defaults...
    assert after["DeletionProtection"] == "INACTIVE"
    assert after["LambdaConfig"] == {}
    assert after["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert after["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}
    assert after["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert after["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 7,
    }
    # ...or removed when AWS shows nothing by default...
    for member in (
        "AutoVerifiedAttributes",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "SmsVerificationMessage",
        "SmsAuthenticationMessage",
        "DeviceConfiguration",
        "SmsConfiguration",
        "UserPoolAddOns",
        "AccountRecoverySetting",
    ):
        assert member not in after, member
    # ...while the measured and documented exceptions stay.
    assert after["Policies"] == created["Policies"]
    assert after["MfaConfiguration"] == "OPTIONAL"
    assert after["UserPoolTags"] == {"team": "shop"}
    assert after["UserPoolTier"] == "PLUS"
    assert after["Name"] == "shop"
    # Create-only settings always stay.
    assert after["UsernameAttributes"] == ["email"]
    assert after["UsernameConfiguration"] == {"CaseSensitive": False}
    assert after["SchemaAttributes"] == created["SchemaAttributes"]
    assert after["CreationDate"] == created["CreationDate"]
    assert (after["LastModifiedDate"] - created["LastModifiedDate"]).total_seconds() >= 60


def test_given_members_replace_the_pools(live: ServerProcess) -> None:
    created = full_pool(live)
    cognito = live.client("cognito-idp")
    cognito.update_user_pool(
        UserPoolId=created["Id"],
        PoolName="renamed",
        MfaConfiguration="OFF",
        Policies={"PasswordPolicy": {"MinimumLength": 10}},
        AutoVerifiedAttributes=["phone_number"],
        UserPoolTags={"team": "ops"},
        UserPoolTier="ESSENTIALS",
    )
    after = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert after["Name"] == "renamed"
    assert after["MfaConfiguration"] == "OFF"
    assert after["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 10,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }
    assert after["AutoVerifiedAttributes"] == ["phone_number"]
    assert after["UserPoolTags"] == {"team": "ops"}
    assert after["UserPoolTier"] == "ESSENTIALS"


def test_describe_then_update_is_the_documented_no_op(live: ServerProcess) -> None:
    # cognito-user-pool-updating.md: send DescribeUserPool's output back without the
    # read-only members, and nothing changes.
    created = full_pool(live)
    cognito = live.client("cognito-idp")
    read_only = {
        "Arn",
        "CreationDate",
        "CustomDomain",
        "Domain",
        "EmailConfigurationFailure",
        "EstimatedNumberOfUsers",
        "Id",
        "LastModifiedDate",
        "Name",
        "SchemaAttributes",
        "SmsConfigurationFailure",
        "Status",
        # Create-only: botocore refuses them in an UpdateUserPool request.
        "UsernameAttributes",
        "AliasAttributes",
        "UsernameConfiguration",
    }
    request = {key: value for key, value in created.items() if key not in read_only}
    cognito.update_user_pool(UserPoolId=created["Id"], **request)
    after = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    after.pop("LastModifiedDate")
    created.pop("LastModifiedDate")
    assert after == created


def test_legacy_message_given_alone_fills_the_template(live: ServerProcess) -> None:
    created = full_pool(live)
    cognito = live.client("cognito-idp")
    cognito.update_user_pool(
        UserPoolId=created["Id"],
        EmailVerificationMessage="Legacy code {####}",
        EmailVerificationSubject="Legacy subject",
    )
    after = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert after["VerificationMessageTemplate"] == {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Legacy code {####}",
        "EmailSubject": "Legacy subject",
    }
    assert after["EmailVerificationMessage"] == "Legacy code {####}"
    assert after["EmailVerificationSubject"] == "Legacy subject"
    assert "SmsVerificationMessage" not in after


def test_unknown_pool(live: ServerProcess) -> None:
    with pytest.raises(ClientError) as excinfo:
        live.client("cognito-idp").update_user_pool(UserPoolId="us-east-1_Missing12")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing12 does not exist.",
        400,
    )


def test_another_accounts_pool_is_not_found(live: ServerProcess) -> None:
    created = full_pool(live)
    stranger = live.client("cognito-idp", access_key="111122223333")
    with pytest.raises(ClientError) as excinfo:
        stranger.update_user_pool(UserPoolId=created["Id"], PoolName="mine")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
