"""EmailConfiguration on CreateUserPool/UpdateUserPool: the SES identity checks, each
refusal with AWS's code and text, and the issue's AWS CLI walkthrough."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.cognito.messaging.email_config import covers, parse_source_arn
from poolmail.cognito.messaging.ses_regions import (
    SES_REGIONS_FOR_POOL,
    allowed_ses_regions,
    is_allowed,
)
from tests.ses.helpers import verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok
from tests.test_server_blackbox import error_of

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"
DOMAIN_ARN = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com"
ADDRESS_ARN = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/sender@example.com"


def not_verified(arn: str, region: str = "US-EAST-1") -> str:
    return (
        "Cognito received the following error from Amazon SES when attempting to send email: "
        "Email address is not verified. The following identities failed the check in region "
        f"{region}: {arn}"
    )


def new_pool(server: ServerProcess, region: str = "us-east-1", **settings: Any) -> str:
    cognito = server.client("cognito-idp", region=region)
    pool_id: str = cognito.create_user_pool(PoolName="shop", **settings)["UserPool"]["Id"]
    return pool_id


def refusal(server: ServerProcess, pool_id: str, config: dict[str, Any], region: str = "us-east-1"):
    cognito = server.client("cognito-idp", region=region)
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    return error_of(excinfo)


def email_configuration(server: ServerProcess, pool_id: str, region: str = "us-east-1") -> Any:
    cognito = server.client("cognito-idp", region=region)
    return cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["EmailConfiguration"]


# --- the walkthrough, with the AWS CLI --------------------------------------------


def test_cli_developer_configuration_resets_what_the_update_leaves_out(
    live: ServerProcess,
) -> None:
    pool = ok(
        aws(
            live,
            "cognito-idp",
            "create-user-pool",
            "--pool-name",
            "shop",
            "--auto-verified-attributes",
            "email",
            "--username-attributes",
            "email",
            "--policies",
            "PasswordPolicy={MinimumLength=12,RequireNumbers=true}",
            "--schema",
            "Name=tier,AttributeDataType=String,Mutable=true",
        )
    )["UserPool"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    # Optional MFA with authenticator apps (a pool can't ask for MFA before it has a factor).
    ok(
        aws(
            live,
            "cognito-idp",
            "set-user-pool-mfa-config",
            "--user-pool-id",
            pool["Id"],
            "--mfa-configuration",
            "OPTIONAL",
            "--software-token-mfa-configuration",
            "Enabled=true",
        )
    )
    ok(aws(live, "ses", "verify-domain-identity", "--domain", "example.com"))
    verify(live, "example.com")

    ok(
        aws(
            live,
            "cognito-idp",
            "update-user-pool",
            "--user-pool-id",
            pool["Id"],
            "--email-configuration",
            f"SourceArn={DOMAIN_ARN},EmailSendingAccount=DEVELOPER,From=user@example.com",
        )
    )
    shown = ok(
        aws(
            live,
            "cognito-idp",
            "describe-user-pool",
            "--user-pool-id",
            pool["Id"],
            "--query",
            "UserPool.EmailConfiguration",
        )
    )
    assert shown == {
        "SourceArn": DOMAIN_ARN,
        "EmailSendingAccount": "DEVELOPER",
        "From": "user@example.com",
    }
    after = ok(aws(live, "cognito-idp", "describe-user-pool", "--user-pool-id", pool["Id"]))
    after = after["UserPool"]
    # The update named only EmailConfiguration: AutoVerifiedAttributes went back to none
    # (measured on AWS), MFA and the password policy stayed (measured), and what only
    # CreateUserPool sets never changes.
    assert "AutoVerifiedAttributes" not in after
    assert after["MfaConfiguration"] == "OPTIONAL"
    assert after["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert after["UsernameAttributes"] == ["email"]
    assert "custom:tier" in {attribute["Name"] for attribute in after["SchemaAttributes"]}


def test_cli_refusal_prints_awss_message(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    refused = aws(
        live,
        "cognito-idp",
        "update-user-pool",
        "--user-pool-id",
        pool_id,
        "--email-configuration",
        f"SourceArn={ADDRESS_ARN},EmailSendingAccount=DEVELOPER",
    )
    assert refused.returncode != 0
    assert (
        "An error occurred (InvalidParameterException) when calling the UpdateUserPool "
        f"operation: {not_verified(ADDRESS_ARN)}"
    ) in refused.stderr


# --- accepted configurations ----------------------------------------------------------------


def test_developer_with_an_address_identity_and_display_name(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    pool_id = new_pool(live)
    config = {
        "SourceArn": ADDRESS_ARN,
        "EmailSendingAccount": "DEVELOPER",
        "From": "Shop Team <sender@example.com>",
        "ReplyToEmailAddress": "help@example.org",
        "ConfigurationSet": "cognito-mail",
    }
    live.client("cognito-idp").update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    assert email_configuration(live, pool_id) == config


def test_a_domain_identity_covers_its_subdomains(live: ServerProcess) -> None:
    verify(live, "example.com")
    pool_id = new_pool(live)
    config = {
        "SourceArn": DOMAIN_ARN,
        "EmailSendingAccount": "DEVELOPER",
        "From": "no-reply@mail.example.com",
    }
    live.client("cognito-idp").update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    assert email_configuration(live, pool_id) == config


def test_create_user_pool_validates_and_stores_the_configuration(live: ServerProcess) -> None:
    verify(live, "example.com")
    config = {"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"}
    cognito = live.client("cognito-idp")
    created = cognito.create_user_pool(PoolName="shop", EmailConfiguration=config)["UserPool"]
    assert created["EmailConfiguration"] == config
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool(
            PoolName="other", EmailConfiguration={**config, "SourceArn": ADDRESS_ARN}
        )
    assert error_of(excinfo) == ("InvalidParameterException", not_verified(ADDRESS_ARN), 400)
    assert [pool["Name"] for pool in cognito.list_user_pools(MaxResults=10)["UserPools"]] == [
        "shop"
    ]


def test_sending_account_defaults_to_cognito_default(live: ServerProcess) -> None:
    pool_id = new_pool(live, EmailConfiguration={"ReplyToEmailAddress": "help@example.org"})
    assert email_configuration(live, pool_id) == {
        "ReplyToEmailAddress": "help@example.org",
        "EmailSendingAccount": "COGNITO_DEFAULT",
    }


def test_custom_templates_are_allowed_with_the_default_sender(live: ServerProcess) -> None:
    # aws-cdk#7597: CDK's default pools send custom templates through Cognito's own email.
    template = {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Welcome! Your code is {####}",
        "EmailSubject": "Welcome",
    }
    pool_id = new_pool(live, VerificationMessageTemplate=template)
    pool = live.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["VerificationMessageTemplate"] == template
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}


def test_a_pool_may_use_the_ses_regions_its_region_maps_to(live: ServerProcess) -> None:
    verify(live, "example.com", region="eu-west-1")
    pool_id = new_pool(live, region="eu-west-2")
    config = {
        "SourceArn": f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/example.com",
        "EmailSendingAccount": "DEVELOPER",
    }
    cognito = live.client("cognito-idp", region="eu-west-2")
    cognito.update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    assert email_configuration(live, pool_id, region="eu-west-2") == config


# --- refusals ---------------------------------------------------------------------------------


def test_another_accounts_identity_is_not_yours(live: ServerProcess) -> None:
    verify(live, "example.com", account=OTHER_ACCOUNT)
    pool_id = new_pool(live)
    config = {
        "SourceArn": f"arn:aws:ses:us-east-1:{OTHER_ACCOUNT}:identity/example.com",
        "EmailSendingAccount": "DEVELOPER",
    }
    assert refusal(live, pool_id, config) == (
        "NotAuthorizedException",
        "Email arn does not belong to your account.",
        400,
    )


def test_a_malformed_identity_arn_is_not_yours(live: ServerProcess) -> None:
    # aws-cdk#25115: CDK built an ARN that ends in "identity/".
    pool_id = new_pool(live)
    config = {
        "SourceArn": f"arn:aws:ses:us-west-2:{ACCOUNT}:identity/",
        "EmailSendingAccount": "DEVELOPER",
    }
    assert refusal(live, pool_id, config)[:2] == (
        "NotAuthorizedException",
        "Email arn does not belong to your account.",
    )


def test_an_unmapped_ses_region_is_refused(live: ServerProcess) -> None:
    verify(live, "example.com")
    pool_id = new_pool(live, region="us-west-1")
    config = {"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"}
    assert refusal(live, pool_id, config, region="us-west-1") == (
        "InvalidParameterException",
        f"The SES region us-east-1 of SourceArn {DOMAIN_ARN} is not supported for user pools "
        "in us-west-1; use an identity in one of: us-west-1.",
        400,
    )


@pytest.mark.parametrize("pending", [True, False], ids=["pending", "unknown"])
def test_an_unverified_identity_is_refused(live: ServerProcess, pending: bool) -> None:
    if pending:
        live.client("ses").verify_domain_identity(Domain="example.com")
    pool_id = new_pool(live)
    config = {"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"}
    assert refusal(live, pool_id, config) == (
        "InvalidParameterException",
        not_verified(DOMAIN_ARN),
        400,
    )


def test_an_address_arn_needs_the_address_itself_verified(live: ServerProcess) -> None:
    # amplify-backend#3134: the domain is verified, the address ARN is not an identity.
    verify(live, "example.com", region="ca-central-1")
    pool_id = new_pool(live, region="ca-central-1")
    arn = f"arn:aws:ses:ca-central-1:{ACCOUNT}:identity/auth@example.com"
    config = {"SourceArn": arn, "EmailSendingAccount": "DEVELOPER"}
    assert refusal(live, pool_id, config, region="ca-central-1") == (
        "InvalidParameterException",
        not_verified(arn, "CA-CENTRAL-1"),
        400,
    )


@pytest.mark.parametrize(
    ("identity", "sender"),
    [
        ("example.com", "user@example.org"),
        ("example.com", "user@notexample.com"),
        ("sender@example.com", "other@example.com"),
        ("sender@example.com", "Sender <sender+news@example.com>"),
    ],
)
def test_from_outside_the_identity_is_refused(
    live: ServerProcess, identity: str, sender: str
) -> None:
    verify(live, identity)
    pool_id = new_pool(live)
    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{identity}"
    config = {"SourceArn": arn, "EmailSendingAccount": "DEVELOPER", "From": sender}
    assert refusal(live, pool_id, config) == (
        "InvalidParameterException",
        f"The From address {sender} is not covered by the SES identity {arn}.",
        400,
    )


def test_default_sender_with_from_needs_an_identity(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    config = {"EmailSendingAccount": "COGNITO_DEFAULT", "From": "user@example.com"}
    assert refusal(live, pool_id, config) == (
        "InvalidParameterException",
        "Cannot configure From email address for default email configuration",
        400,
    )


def test_developer_needs_a_source_arn(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    assert refusal(live, pool_id, {"EmailSendingAccount": "DEVELOPER"}) == (
        "InvalidParameterException",
        "SourceArn is required when EmailSendingAccount is DEVELOPER.",
        400,
    )


def cognito_policy(pool_arn: str, principal: str = "email.cognito-idp.amazonaws.com") -> str:
    # The Cognito guide's example policy (AWS_FACTS §8).
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "stmnt1234567891234",
                    "Effect": "Allow",
                    "Principal": {"Service": [principal]},
                    "Action": ["SES:SendEmail", "SES:SendRawEmail"],
                    "Resource": DOMAIN_ARN,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                        "ArnLike": {"aws:SourceArn": pool_arn},
                    },
                }
            ],
        }
    )


def test_default_sender_with_an_identity_needs_cognito_authorised(live: ServerProcess) -> None:
    verify(live, "example.com")
    pool_id = new_pool(live)
    config = {
        "SourceArn": DOMAIN_ARN,
        "EmailSendingAccount": "COGNITO_DEFAULT",
        "From": "Shop <no-reply@example.com>",
    }
    assert refusal(live, pool_id, config) == (
        "InvalidEmailRoleAccessPolicyException",
        "Cognito is not allowed to use your email identity",
        400,
    )
    # A policy for another pool does not help...
    other_pool = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Other1234"
    live.client("ses").put_identity_policy(
        Identity="example.com", PolicyName="other", Policy=cognito_policy(other_pool)
    )
    assert refusal(live, pool_id, config)[0] == "InvalidEmailRoleAccessPolicyException"
    # ...the guide's policy for this pool does, put with the AWS CLI.
    pool_arn = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool_id}"
    ok(
        aws(
            live,
            "ses",
            "put-identity-policy",
            "--identity",
            "example.com",
            "--policy-name",
            "cognito",
            "--policy",
            cognito_policy(pool_arn),
        )
    )
    live.client("cognito-idp").update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    assert email_configuration(live, pool_id) == config


def test_the_ses_guides_principal_spelling_works_too(live: ServerProcess) -> None:
    verify(live, "example.com")
    pool_id = new_pool(live)
    pool_arn = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool_id}"
    live.client("ses").put_identity_policy(
        Identity="example.com",
        PolicyName="cognito",
        Policy=cognito_policy(pool_arn, principal="cognito-idp.amazonaws.com"),
    )
    config = {"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "COGNITO_DEFAULT"}
    live.client("cognito-idp").update_user_pool(UserPoolId=pool_id, EmailConfiguration=config)
    assert email_configuration(live, pool_id) == config


def test_a_rename_resending_the_configuration_is_checked_again(live: ServerProcess) -> None:
    # classmethod 2025: a console rename failed because the identity had changed since.
    verify(live, "sender@example.com")
    config = {"SourceArn": ADDRESS_ARN, "EmailSendingAccount": "DEVELOPER"}
    pool_id = new_pool(live, EmailConfiguration=config)
    live.client("ses").delete_identity(Identity="sender@example.com")
    cognito = live.client("cognito-idp")
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool_id, PoolName="renamed", EmailConfiguration=config)
    assert error_of(excinfo) == ("InvalidParameterException", not_verified(ADDRESS_ARN), 400)
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert (pool["Name"], pool["EmailConfiguration"]) == ("shop", config)
    # A rename that leaves EmailConfiguration out resets it to the default sender instead.
    cognito.update_user_pool(UserPoolId=pool_id, PoolName="renamed")
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert (pool["Name"], pool["EmailConfiguration"]) == (
        "renamed",
        {"EmailSendingAccount": "COGNITO_DEFAULT"},
    )


# --- the tables and rules as data ----------------------------------------------------------


def test_region_table() -> None:
    assert allowed_ses_regions("us-west-1") == ("us-west-1",)
    assert allowed_ses_regions("us-east-1") == ("us-east-1", "us-west-2", "eu-west-1")
    assert allowed_ses_regions("us-east-2") == ("us-east-2", "us-east-1", "us-west-2", "eu-west-1")
    assert is_allowed("ap-northeast-1", "us-west-2")
    assert not is_allowed("eu-west-3", "eu-west-1")
    # A region after the documented table: its own region only.
    assert allowed_ses_regions("ap-southeast-4") == ("ap-southeast-4",)
    # Every row lets a pool use SES in its own region.
    assert all(pool in regions for pool, regions in SES_REGIONS_FOR_POOL.items())


def test_identity_arns_and_coverage() -> None:
    parsed = parse_source_arn(f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/Example.COM")
    assert parsed is not None
    assert (parsed.region, parsed.account, parsed.identity) == ("eu-west-1", ACCOUNT, "example.com")
    address = parse_source_arn(f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/Sender@Example.com")
    assert address is not None and address.identity == "Sender@Example.com"
    for malformed in (
        f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:identity/example.com",
        f"arn:aws:ses:us-east-1:{ACCOUNT}:configuration-set/x",
    ):
        assert parse_source_arn(malformed) is None
    assert covers("example.com", "a@example.com")
    assert covers("example.com", "Team <a@Mail.Example.com>")
    assert not covers("example.com", "a@badexample.com")
    assert covers("Sender@example.com", "Sender@EXAMPLE.com")
    assert not covers("Sender@example.com", "sender@example.com")
    assert not covers("sender@example.com", "sender+x@example.com")
    assert not covers("example.com", "not-an-address")
