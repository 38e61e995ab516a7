"""`poolmail doctor` against the local server, through its real entry point."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess
from tests.tools.support import poolmail

ACCOUNT = "123456789012"


def findings(document: Any) -> dict[str, dict[str, Any]]:
    return {finding["check"]: finding for finding in document["findings"]}


def developer_pool(server: ServerProcess) -> dict[str, Any]:
    verify(server, "example.com")
    pool: dict[str, Any] = server.client("cognito-idp").create_user_pool(
        PoolName="app",
        AutoVerifiedAttributes=["email"],
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com",
            "From": "no-reply@example.com",
        },
    )["UserPool"]
    return pool


def test_a_default_sender_pool_is_healthy(live: ServerProcess) -> None:
    pool = live.client("cognito-idp").create_user_pool(PoolName="plain")["UserPool"]
    run = poolmail(live, "doctor", "--user-pool-id", pool["Id"], "--json")
    assert run.code == 0, run.stdout + run.stderr
    found = findings(run.document)
    assert run.document["healthy"] is True
    assert found["sending-account"]["message"].endswith("sends with COGNITO_DEFAULT")
    assert found["default-sender"]["evidence"] == {"sent_last_24_hours": 0, "limit": 50}
    assert found["rejections"]["severity"] == "ok"
    human = poolmail(live, "doctor", "--user-pool-id", pool["Id"])
    assert "COGNITO_DEFAULT" in human.stdout


def test_sandboxed_developer_pool_and_an_unverified_recipient(live: ServerProcess) -> None:
    pool = developer_pool(live)
    run = poolmail(
        live,
        "doctor",
        "--user-pool-id",
        pool["Id"],
        "--recipient",
        "someone@example.org",
        "--json",
    )
    assert run.code == 1
    found = findings(run.document)
    assert found["identity"]["severity"] == "ok"
    assert found["region"]["severity"] == "ok"
    assert found["sandbox"]["severity"] == "warning"
    assert "put-account-details --production-access-enabled" in found["sandbox"]["fix"]
    assert found["recipient"]["severity"] == "error"
    assert "verify-email-identity --email-address someone@example.org" in found["recipient"]["fix"]

    production_access(live)
    healthy = poolmail(
        live,
        "doctor",
        "--user-pool-id",
        pool["Id"],
        "--recipient",
        "someone@example.org",
        "--json",
    )
    found = findings(healthy.document)
    assert found["sandbox"]["severity"] == "ok"
    assert "recipient" not in found


def test_recent_rejections_are_explained(live: ServerProcess) -> None:
    pool = developer_pool(live)
    client = live.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web"
    )["UserPoolClient"]
    with pytest.raises(ClientError) as excinfo:
        live.client("cognito-idp").sign_up(
            ClientId=client["ClientId"],
            Username="user@example.org",
            Password="Correct-Horse-9",
            UserAttributes=[{"Name": "email", "Value": "user@example.org"}],
        )
    assert excinfo.value.response["Error"]["Code"] == "CodeDeliveryFailureException"
    run = poolmail(live, "doctor", "--user-pool-id", pool["Id"], "--json")
    assert run.code == 1
    rejection = findings(run.document)["rejections"]
    assert rejection["severity"] == "error"
    assert "user@example.org" in rejection["message"]
    assert "Email address is not verified" in rejection["message"]
    assert "in the sandbox every recipient" in rejection["message"]


def test_a_deleted_identity_is_found(live: ServerProcess) -> None:
    pool = developer_pool(live)
    live.client("ses").delete_identity(Identity="example.com")
    run = poolmail(live, "doctor", "--user-pool-id", pool["Id"], "--json")
    assert run.code == 1
    identity = findings(run.document)["identity"]
    assert identity["severity"] == "error"
    assert (
        identity["fix"] == "aws ses verify-domain-identity --domain example.com --region us-east-1"
    )


def test_missing_pool(live: ServerProcess) -> None:
    run = poolmail(live, "doctor", "--user-pool-id", "us-east-1_abcdefghi", "--json")
    assert run.code == 1
    assert findings(run.document)["pool"]["severity"] == "error"


def test_usage_error_is_exit_2(live: ServerProcess) -> None:
    assert poolmail(live, "doctor").code == 2
    assert poolmail(live, "integrate", "--user-pool-id", "x").code == 2
