"""The AWS CLI (awscli from PyPI) against the server, as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.server import ServerProcess

AWS = str(Path(sys.executable).parent / "aws")


def aws(
    server: ServerProcess, *args: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config) if config else os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    return subprocess.run(
        [AWS, *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_list_user_pools_is_empty(live: ServerProcess) -> None:
    assert ok(aws(live, "cognito-idp", "list-user-pools", "--max-results", "10")) == {
        "UserPools": []
    }


def test_max_results_zero(live: ServerProcess, tmp_path: Path) -> None:
    # botocore checks minimums on the client, so by default the CLI refuses by itself...
    refused = aws(live, "cognito-idp", "list-user-pools", "--max-results", "0")
    assert refused.returncode != 0
    assert "valid min value: 1" in refused.stderr
    # ...and with client-side validation off the server answers as AWS does.
    config = tmp_path / "config"
    config.write_text("[default]\nparameter_validation = false\n")
    result = aws(live, "cognito-idp", "list-user-pools", "--max-results", "0", config=config)
    assert result.returncode != 0
    assert (
        "An error occurred (InvalidParameterException) when calling the ListUserPools "
        "operation: 1 validation error detected: Value '0' at 'maxResults' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1"
    ) in result.stderr


def test_pool_lifecycle(live: ServerProcess) -> None:
    created = ok(aws(live, "cognito-idp", "create-user-pool", "--pool-name", "cli-pool"))
    pool_id = created["UserPool"]["Id"]
    described = ok(
        aws(
            live,
            "cognito-idp",
            "describe-user-pool",
            "--user-pool-id",
            pool_id,
            "--query",
            "UserPool.EmailConfiguration",
        )
    )
    assert described == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    listed = ok(aws(live, "cognito-idp", "list-user-pools", "--max-results", "10"))
    assert [pool["Id"] for pool in listed["UserPools"]] == [pool_id]
    ok(aws(live, "cognito-idp", "delete-user-pool", "--user-pool-id", pool_id))
    gone = aws(live, "cognito-idp", "describe-user-pool", "--user-pool-id", pool_id)
    assert (
        f"(ResourceNotFoundException) when calling the DescribeUserPool operation: "
        f"User pool {pool_id} does not exist." in gone.stderr
    )


def test_ses_lists(live: ServerProcess) -> None:
    assert ok(aws(live, "ses", "list-identities")) == {"Identities": []}
    assert ok(aws(live, "sesv2", "list-email-identities")) == {"EmailIdentities": []}


# No operation of the three models answers 501 any more (tests/cognito/test_coverage.py,
# tests/ses/test_coverage.py); how an unbuilt one would answer is tested in
# tests/test_server_blackbox.py.
