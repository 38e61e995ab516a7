"""`poolmail integrate` against the local server, through its real entry point."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess
from tests.tools.support import poolmail, steps

ACCOUNT = "123456789012"


def rich_pool(server: ServerProcess, region: str = "us-east-1") -> dict[str, Any]:
    """A pool with settings an UpdateUserPool that leaves them out would reset."""
    cognito = server.client("cognito-idp", region=region)
    pool: dict[str, Any] = cognito.create_user_pool(
        PoolName="shop",
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        MfaConfiguration="OFF",
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True}},
        LambdaConfig={
            "PreSignUp": f"arn:aws:lambda:{region}:{ACCOUNT}:function:pre-sign-up",
        },
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
            "EmailMessage": "Welcome! Your code is {####}",
            "EmailSubject": "Welcome to the shop",
        },
        UserPoolTags={"team": "shop"},
    )["UserPool"]
    return pool


def describe(server: ServerProcess, pool_id: str) -> dict[str, Any]:
    region = pool_id.split("_")[0]
    found: dict[str, Any] = server.client("cognito-idp", region=region).describe_user_pool(
        UserPoolId=pool_id
    )["UserPool"]
    return found


def without(pool: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in pool.items() if key not in keys}


def test_applies_the_integration_and_keeps_every_other_setting(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--from",
        "Shop <no-reply@example.com>",
        "--json",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.document["applied"] is True
    assert steps(run)["sandbox"] == "warning"
    after = describe(live, pool["Id"])
    assert after["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com",
        "From": "Shop <no-reply@example.com>",
    }
    before = without(pool, "EmailConfiguration", "LastModifiedDate")
    assert without(after, "EmailConfiguration", "LastModifiedDate") == before
    assert after["AutoVerifiedAttributes"] == ["email"]

    again = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--from",
        "Shop <no-reply@example.com>",
        "--json",
    )
    assert again.code == 0
    assert again.document["changes"] == []
    assert again.document["applied"] is False
    assert describe(live, pool["Id"])["LastModifiedDate"] == after["LastModifiedDate"]


def test_dry_run_shows_the_diff_and_changes_nothing(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "news@example.com")
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "news@example.com",
        "--dry-run",
        "--json",
    )
    assert run.code == 0
    assert {change["field"]: change["after"] for change in run.document["changes"]} == {
        "EmailConfiguration.EmailSendingAccount": "DEVELOPER",
        "EmailConfiguration.SourceArn": (
            f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/news@example.com"
        ),
        "EmailConfiguration.From": "news@example.com",
    }
    assert describe(live, pool["Id"]) == pool
    human = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "news@example.com",
        "--dry-run",
    )
    assert "EmailConfiguration.SourceArn" in human.stdout
    assert "dry run" in human.stdout


@pytest.mark.parametrize(
    ("identity", "extra", "check", "fix_part"),
    [
        ("arn:aws:ses:us-east-1:210987654321:identity/example.com", [], "account", "verify"),
        ("unverified@example.org", [], "verification", "verify-email-identity"),
        ("example.com", [], "from", "--from no-reply@example.com"),
        ("example.com", ["--from", "someone@other.org"], "from", "covers"),
        ("not an identity", [], "identity", "ARN"),
    ],
)
def test_refusals_name_the_reason_and_the_fix(
    live: ServerProcess, identity: str, extra: list[str], check: str, fix_part: str
) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    run = poolmail(
        live, "integrate", "--user-pool-id", pool["Id"], "--identity", identity, *extra, "--json"
    )
    assert run.code == 1
    assert run.document["refused"] is True
    refusal = run.document["steps"][-1]
    assert (refusal["check"], refusal["severity"]) == (check, "error")
    assert fix_part in (refusal["fix"] or "") + refusal["message"]
    assert describe(live, pool["Id"]) == pool


def test_an_address_when_only_its_domain_is_verified(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    run = poolmail(
        live, "integrate", "--user-pool-id", pool["Id"], "--identity", "team@example.com", "--json"
    )
    assert run.code == 1
    refusal = run.document["steps"][-1]
    assert refusal["check"] == "verification"
    assert "only its domain example.com is" in refusal["message"]
    assert "identity/example.com --from team@example.com" in refusal["fix"]


def test_an_unmapped_region_is_refused(live: ServerProcess) -> None:
    pool = rich_pool(live, region="us-west-1")
    verify(live, "example.com", region="us-east-1")
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com",
        "--from",
        "a@example.com",
        "--region",
        "us-west-1",
        "--json",
    )
    assert run.code == 1
    assert run.document["steps"][-1]["check"] == "region"
    assert "may use SES only in us-west-1" in run.document["steps"][-1]["message"]


def test_missing_pool(live: ServerProcess) -> None:
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        "us-east-1_abcdefghi",
        "--identity",
        "example.com",
        "--json",
    )
    assert run.code == 1
    assert run.document["steps"][0]["check"] == "pool"
    assert "ResourceNotFoundException" in run.document["steps"][0]["message"]


def test_cognito_default_with_source_arn_needs_the_policy(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    args = [
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--from",
        "no-reply@example.com",
        "--email-sending-account",
        "COGNITO_DEFAULT",
        "--json",
    ]
    refused = poolmail(live, *args)
    assert refused.code == 1
    assert refused.document["steps"][-1]["check"] == "authorization"
    assert "put-identity-policy" in refused.document["steps"][-1]["fix"]
    added = poolmail(live, *args, "--add-policy")
    assert added.code == 0, added.stdout
    names = live.client("ses").list_identity_policies(Identity="example.com")["PolicyNames"]
    assert names == ["CognitoSendEmail"]
    policy = json.loads(
        live.client("ses").get_identity_policies(Identity="example.com", PolicyNames=names)[
            "Policies"
        ]["CognitoSendEmail"]
    )
    assert policy["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == pool["Arn"]
    assert describe(live, pool["Id"])["EmailConfiguration"]["EmailSendingAccount"] == (
        "COGNITO_DEFAULT"
    )


def test_request_production_access(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--from",
        "a@example.com",
        "--request-production-access",
        "--website-url",
        "https://shop.example.com",
        "--json",
    )
    assert run.code == 0
    assert "production access requested (PENDING)" in run.document["steps"][-2]["message"] or any(
        "production access requested (PENDING)" in step["message"] for step in run.document["steps"]
    )
    assert live.client("sesv2").get_account()["Details"]["ReviewDetails"]["Status"] == "PENDING"


def test_no_sandbox_warning_with_production_access(live: ServerProcess) -> None:
    pool = rich_pool(live)
    verify(live, "example.com")
    production_access(live)
    run = poolmail(
        live,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--from",
        "a@example.com",
        "--json",
    )
    assert steps(run)["sandbox"] == "ok"
