"""The Edit page's form to EmailConfiguration, and the merge that keeps a pool's settings."""

from __future__ import annotations

from poolmail.console.email_settings import email_configuration, form_values, keep_everything

DOMAIN_ARN = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
ADDRESS_ARN = "arn:aws:ses:us-east-1:123456789012:identity/me@example.com"


def test_cognito_default_without_an_identity_is_just_the_sending_account() -> None:
    assert email_configuration({"sending_account": "COGNITO_DEFAULT", "from_name": "Shop"}) == {
        "EmailSendingAccount": "COGNITO_DEFAULT"
    }


def test_a_sender_name_makes_a_from_with_the_identitys_address() -> None:
    config = email_configuration(
        {"sending_account": "DEVELOPER", "source_arn": ADDRESS_ARN, "from_name": "Shop, Inc."}
    )
    assert config == {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": ADDRESS_ARN,
        "From": '"Shop, Inc." <me@example.com>',
    }
    assert form_values(config)["from_name"] == "Shop, Inc."


def test_a_domain_identity_takes_an_address_of_the_domain() -> None:
    given = {
        "sending_account": "DEVELOPER",
        "source_arn": DOMAIN_ARN,
        "from_address": "hello@example.com",
        "reply_to": "help@example.com",
        "configuration_set": "tracking",
    }
    assert email_configuration(given) == {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": DOMAIN_ARN,
        "From": "hello@example.com",
        "ReplyToEmailAddress": "help@example.com",
        "ConfigurationSet": "tracking",
    }
    named = email_configuration({**given, "from_address": "", "from_name": "Shop"})
    assert named["From"] == "Shop <no-reply@example.com>"


def test_the_merge_keeps_settings_and_drops_what_update_user_pool_does_not_take() -> None:
    described = {
        "Id": "us-east-1_abc",
        "Name": "shop",
        "Arn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
        "MfaConfiguration": "OFF",
        "Policies": {"PasswordPolicy": {"MinimumLength": 12, "TemporaryPasswordValidityDays": 7}},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
        "SchemaAttributes": [],
        "EstimatedNumberOfUsers": 3,
        "SomethingNewer": {"from": "a later model"},
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    }
    request = keep_everything(described, EmailConfiguration={"EmailSendingAccount": "DEVELOPER"})
    assert request == {
        "UserPoolId": "us-east-1_abc",
        "MfaConfiguration": "OFF",
        "Policies": described["Policies"],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"},
    }
