"""User pools: what DescribeUserPool shows, message templates and their mirrors, tags,
user counts and what DeleteUserPool takes with it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.clock import SystemClock
from poolmail.cognito.clients import clients
from poolmail.cognito.messaging.templates import check_template, mirrored
from poolmail.cognito.pools import user_pools
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Database, open_database
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

ACCOUNT = "123456789012"
BY_LINK_PATTERN = (
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}"
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*"
)


def create_error(server: ServerProcess, **settings: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        server.client("cognito-idp").create_user_pool(PoolName="shop", **settings)
    return error_of(excinfo)


# --- DescribeUserPool ---------------------------------------------------------------------


def test_a_new_pool_shows_awss_defaults(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="shop")["UserPool"]
    assert pool == cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    shown = {key: value for key, value in pool.items() if key != "SchemaAttributes"}
    assert shown == {
        "Id": pool["Id"],
        "Name": "shop",
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 7,
            },
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
        },
        "DeletionProtection": "INACTIVE",
        "LambdaConfig": {},
        "LastModifiedDate": pool["CreationDate"],
        "CreationDate": pool["CreationDate"],
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": []},
        "MfaConfiguration": "OFF",
        "EstimatedNumberOfUsers": 0,
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "UserPoolTags": {},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": False,
            "UnusedAccountValidityDays": 7,
        },
        "Arn": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool['Id']}",
        "UserPoolTier": "ESSENTIALS",
    }


def test_given_settings_are_shown_completed(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="shop",
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UserAttributeUpdateSettings={},
        AliasAttributes=["email", "preferred_username"],
    )["UserPool"]
    assert pool["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]
    }
    assert pool["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": True,
        "UnusedAccountValidityDays": 7,
    }
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}
    assert pool["AliasAttributes"] == ["email", "preferred_username"]


# --- message templates --------------------------------------------------------------------


def test_legacy_members_and_the_template_mirror_each_other(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    legacy = cognito.create_user_pool(
        PoolName="legacy",
        EmailVerificationMessage="Code {####}",
        EmailVerificationSubject="Your code",
        SmsVerificationMessage="SMS code {####}",
    )["UserPool"]
    assert legacy["VerificationMessageTemplate"] == {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Code {####}",
        "EmailSubject": "Your code",
        "SmsMessage": "SMS code {####}",
    }
    template = {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "New code {####}",
        "EmailSubject": "New code",
        "SmsMessage": "New SMS {####}",
    }
    current = cognito.create_user_pool(PoolName="current", VerificationMessageTemplate=template)
    pool = current["UserPool"]
    assert pool["VerificationMessageTemplate"] == template
    assert (
        pool["EmailVerificationMessage"],
        pool["EmailVerificationSubject"],
        pool["SmsVerificationMessage"],
    ) == ("New code {####}", "New code", "New SMS {####}")


def test_link_style_template(live: ServerProcess) -> None:
    template = {
        "DefaultEmailOption": "CONFIRM_WITH_LINK",
        "EmailMessageByLink": "Please click {##Verify Email##}",
        "EmailSubjectByLink": "Verify your email",
        "SmsMessage": "Code {####}",
    }
    cognito = live.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="shop", VerificationMessageTemplate=template)
    shown = pool["UserPool"]
    assert shown["VerificationMessageTemplate"] == template
    assert shown["SmsVerificationMessage"] == "Code {####}"
    assert "EmailVerificationMessage" not in shown


def test_the_cli_issues_template_is_invalid(live: ServerProcess) -> None:
    # aws/aws-cli#8280, verbatim: both messages, code style, a by-link text without a link.
    template = {
        "SmsMessage": "SMS CODE {####}",
        "EmailMessage": "EMAIL CODE {####}",
        "EmailSubject": "Your verification code",
        "EmailMessageByLink": "EMAIL CODE {####}",
        "EmailSubjectByLink": "Your verification code",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    }
    cognito = live.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool_id, VerificationMessageTemplate=template)
    assert error_of(excinfo) == ("InvalidParameterException", "The message is invalid.", 400)


@pytest.mark.parametrize(
    ("template", "extra", "message"),
    [
        # terraform-provider-aws#3770: a code placeholder in the by-link message.
        (
            {"DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "Testing: {####}"},
            {},
            "The message is empty.",
        ),
        ({"DefaultEmailOption": "CONFIRM_WITH_LINK"}, {}, "The message is invalid."),
        (
            {"DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "Go {##   ##}"},
            {},
            "The message is invalid.",
        ),
        # aws-cdk#6811: the legacy code message sent along with link-style verification.
        (
            {"DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "{##Verify##}"},
            {"EmailVerificationMessage": "Code {####}"},
            "The message is invalid.",
        ),
    ],
    ids=["code-in-link", "no-link-message", "blank-link-text", "legacy-with-link"],
)
def test_template_refusals(
    live: ServerProcess, template: dict[str, str], extra: dict[str, str], message: str
) -> None:
    assert create_error(live, VerificationMessageTemplate=template, **extra) == (
        "InvalidParameterException",
        message,
        400,
    )


def test_the_models_pattern_answers_first(live: ServerProcess) -> None:
    template = {"DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "No link here"}
    assert create_error(live, VerificationMessageTemplate=template) == (
        "InvalidParameterException",
        "1 validation error detected: Value 'No link here' at "
        "'verificationMessageTemplate.emailMessageByLink' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {BY_LINK_PATTERN}",
        400,
    )


def test_template_rules_as_data() -> None:
    check_template({"DefaultEmailOption": "CONFIRM_WITH_CODE"}, {})
    check_template({"DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "{##a##}"}, {})
    with pytest.raises(AwsError, match=r"The message is invalid\."):
        check_template({"EmailMessage": "no code"}, {})
    template, legacy = mirrored({"SmsVerificationMessage": "x {####}"}, {"EmailSubject": "S"})
    assert template == {"EmailSubject": "S", "SmsMessage": "x {####}"}
    assert legacy == {"EmailVerificationSubject": "S", "SmsVerificationMessage": "x {####}"}


# --- tags -----------------------------------------------------------------------------------


def test_tags_through_the_pool_arn(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="shop", UserPoolTags={"team": "shop"})["UserPool"]
    arn = pool["Arn"]
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "shop"}
    cognito.tag_resource(ResourceArn=arn, Tags={"stage": "dev", "team": "web"})
    cognito.untag_resource(ResourceArn=arn, TagKeys=["stage", "absent"])
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "web"}
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["UserPoolTags"] == {"team": "web"}


def test_tags_of_an_unknown_pool(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    arn = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Missing12"
    with pytest.raises(ClientError) as excinfo:
        cognito.list_tags_for_resource(ResourceArn=arn)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing12 does not exist.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.tag_resource(ResourceArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:topic", Tags={"a": "b"})
    assert error_of(excinfo)[0] == "InvalidParameterException"


# --- deletion ---------------------------------------------------------------------------------


def test_delete_removes_the_pools_clients(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(excinfo)[1] == f"User pool {pool_id} does not exist."


# --- in process, on both backends: counts and cascades over tables other modules fill -----


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "sqlite":
        database = open_database(data_dir=":memory:")
        yield database
        database.close()
        return
    with fresh_database() as url:
        database = open_database(database_url=url)
        yield database
        database.close()


def context(db: Database, operation: str = "Test") -> RequestContext:
    return RequestContext(
        service="cognito-idp",
        operation=operation,
        account_id=ACCOUNT,
        region="us-east-1",
        request_id="test",
        signed=True,
        db=db,
        clock=SystemClock(),
        settings=Settings(),
    )


def add_user(db: Database, pool_id: str, username: str) -> None:
    now = time.time()
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO users (pool_id, username, sub, status, enabled, email, phone, "
            "preferred_username, created_at, modified_at, data) "
            "VALUES (?, ?, ?, 'CONFIRMED', 1, NULL, NULL, NULL, ?, ?, '{}')",
            (pool_id, username, f"sub-{username}", now, now),
        )
        tx.execute(
            "INSERT INTO user_codes (pool_id, username, purpose, code, created_at, expires_at, "
            "data) VALUES (?, ?, 'sign-up', '123456', ?, ?, '{}')",
            (pool_id, username, now, now + 60),
        )


def count(db: Database, table: str, pool_id: str) -> int:
    with db.transaction() as tx:
        row = tx.fetchone(f"SELECT COUNT(*) FROM {table} WHERE pool_id = ?", (pool_id,))
    assert row is not None
    return int(row[0])


def test_estimated_users_and_the_delete_cascade(db: Database) -> None:
    ctx = context(db)
    pool_id = user_pools.create_user_pool(ctx, {"PoolName": "shop"})["UserPool"]["Id"]
    other_id = user_pools.create_user_pool(ctx, {"PoolName": "other"})["UserPool"]["Id"]
    for name in ("ana", "ben"):
        add_user(db, pool_id, name)
    add_user(db, other_id, "cy")
    clients.create_user_pool_client(ctx, {"UserPoolId": pool_id, "ClientName": "web"})
    described = user_pools.describe_user_pool(ctx, {"UserPoolId": pool_id})["UserPool"]
    assert described["EstimatedNumberOfUsers"] == 2
    # The figure is kept up to date as users come and go (not counted on each describe).
    with db.transaction() as tx:
        tx.execute("DELETE FROM users WHERE pool_id = ? AND username = ?", (pool_id, "ben"))
    described = user_pools.describe_user_pool(ctx, {"UserPoolId": pool_id})["UserPool"]
    assert described["EstimatedNumberOfUsers"] == 1
    user_pools.delete_user_pool(ctx, {"UserPoolId": pool_id})
    assert count(db, "user_pool_sizes", pool_id) == 0
    for table in ("users", "user_codes", "user_pool_clients"):
        assert count(db, table, pool_id) == 0, table
    assert count(db, "users", other_id) == 1


def test_a_described_pool_follows_every_change(db: Database) -> None:
    """DescribeUserPool keeps its answers (user_pools._DESCRIBED): whatever changes the
    pool's row, its user count or its domains, by the API or not, shows at once."""
    ctx = context(db)
    pool_id = user_pools.create_user_pool(ctx, {"PoolName": "shop"})["UserPool"]["Id"]

    def described() -> dict[str, Any]:
        result: dict[str, Any] = user_pools.describe_user_pool(ctx, {"UserPoolId": pool_id})
        return result["UserPool"]

    first = described()
    assert described() == first
    user_pools.tag_resource(ctx, {"ResourceArn": first["Arn"], "Tags": {"team": "web"}})
    assert described()["UserPoolTags"] == {"team": "web"}
    add_user(db, pool_id, "ana")
    assert described()["EstimatedNumberOfUsers"] == 1
    # Another replica, or a restore, writing the row without this process knowing.
    with db.transaction() as tx:
        tx.execute(
            "UPDATE user_pools SET name = 'renamed', data = ? WHERE id = ?",
            ('{"DeletionProtection": "ACTIVE"}', pool_id),
        )
    changed = described()
    assert (changed["Name"], changed["DeletionProtection"]) == ("renamed", "ACTIVE")
    assert "UserPoolTags" not in changed
    with db.transaction() as tx:
        tx.execute("UPDATE user_pools SET modified_at = 1 WHERE id = ?", (pool_id,))
    assert described()["LastModifiedDate"] == 1
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO user_pool_domains (domain, pool_id, account, region, created_at, "
            "data) VALUES ('shop', ?, ?, 'us-east-1', 1, ?)",
            (pool_id, ACCOUNT, '{"Domain": "shop"}'),
        )
    assert described()["Domain"] == "shop"
    with db.transaction() as tx:
        tx.execute("DELETE FROM user_pool_domains WHERE pool_id = ?", (pool_id,))
    assert "Domain" not in described()
    with db.transaction() as tx:
        tx.execute("DELETE FROM user_pools WHERE id = ?", (pool_id,))
    with pytest.raises(AwsError) as excinfo:
        described()
    assert excinfo.value.code == "ResourceNotFoundException"


def test_kept_answers_are_bounded(db: Database) -> None:
    ctx = context(db)
    for n in range(user_pools._DESCRIBED_MAX + 5):
        pool_id = user_pools.create_user_pool(ctx, {"PoolName": f"p{n}"})["UserPool"]["Id"]
        user_pools.describe_user_pool(ctx, {"UserPoolId": pool_id})
    assert len(user_pools._DESCRIBED) == user_pools._DESCRIBED_MAX


@pytest.mark.postgres
def test_a_replica_describes_what_another_changed() -> None:
    with fresh_database() as url:
        servers = [ServerProcess(["--database-url", url]).start() for _ in range(2)]
        try:
            first, second = (server.client("cognito-idp") for server in servers)
            pool = first.create_user_pool(PoolName="shop")["UserPool"]
            assert first.describe_user_pool(UserPoolId=pool["Id"])["UserPool"] == pool
            second.tag_resource(ResourceArn=pool["Arn"], Tags={"team": "web"})
            described = first.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
            assert described["UserPoolTags"] == {"team": "web"}
        finally:
            for server in servers:
                server.stop()
