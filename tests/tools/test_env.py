"""`poolmail env`: its lines, evaluated in a shell, point boto3, the AWS CLI and poolmail's
own tools at the server, and leave alone what the shell has already chosen."""

from __future__ import annotations

import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.server import ServerProcess
from tests.tools.support import clean_environment, run_poolmail

BIN = str(Path(sys.executable).parent)
ENDPOINTS = [
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_SES",
    "AWS_ENDPOINT_URL_SESV2",
]
CREDENTIALS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
REGIONS = ["AWS_REGION", "AWS_DEFAULT_REGION"]

BOTO3 = textwrap.dedent(
    """
    import boto3
    print(boto3.client("cognito-idp").list_user_pools(MaxResults=1)["UserPools"][0]["Name"])
    print(boto3.client("ses").list_identities()["Identities"])
    print(boto3.client("sesv2").get_account()["ProductionAccessEnabled"])
    """
)


def shell(script: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = clean_environment(PATH=f"{BIN}:/usr/bin:/bin", AWS_PAGER="", **variables)
    return subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def printed(*args: str, **variables: str) -> dict[str, str]:
    run = run_poolmail("env", *args, env=clean_environment(**variables))
    assert run.code == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if not line.startswith("#")]
    pairs = [line.removeprefix("export ").split("=", 1) for line in lines]
    return {name: shlex.split(value)[0] for name, value in pairs}


def test_evaluated_lines_let_boto3_and_the_aws_cli_reach_the_server(
    local: ServerProcess,
) -> None:
    pool = local.client("cognito-idp").create_user_pool(PoolName="from-env")["UserPool"]
    port = str(urlsplit(local.url).port)
    # Unmodified commands, no --endpoint-url anywhere: only what `poolmail env` printed.
    script = textwrap.dedent(
        f"""
        set -e
        eval "$(poolmail env)"
        python -c '{BOTO3}'
        aws cognito-idp list-user-pools --max-results 1 --output text
        aws ses list-identities --output json
        aws sesv2 get-account --query ProductionAccessEnabled
        poolmail doctor --user-pool-id {pool["Id"]} --json
        """
    )
    done = shell(script, POOLMAIL_PORT=port)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["from-env", "[]", "False"]
    assert "from-env" in lines[3]
    assert '"healthy": true' in done.stdout
    # doctor took the Cognito endpoint variable for poolmail's and read its API.
    assert '"check": "rejections"' in done.stdout


def test_the_default_url_follows_the_servers_variables() -> None:
    assert printed()["AWS_ENDPOINT_URL_SES"] == "http://127.0.0.1:4747"
    assert printed(POOLMAIL_HOST="0.0.0.0", POOLMAIL_PORT="5000")[ENDPOINTS[0]] == (
        "http://127.0.0.1:5000"
    )
    assert printed(POOLMAIL_HOST="::")[ENDPOINTS[0]] == "http://[::1]:4747"
    assert printed(POOLMAIL_HOST="10.0.0.7")[ENDPOINTS[0]] == "http://10.0.0.7:4747"
    given = printed("--endpoint-url", "https://poolmail.test:8443/")
    assert {given[name] for name in ENDPOINTS} == {"https://poolmail.test:8443"}


@pytest.mark.parametrize(
    ("args", "variables", "names"),
    [
        ([], {}, ENDPOINTS + CREDENTIALS + REGIONS),
        ([], {"AWS_ACCESS_KEY_ID": "AKIAREAL"}, ENDPOINTS + REGIONS),
        ([], {"AWS_DEFAULT_REGION": "eu-west-1"}, ENDPOINTS + CREDENTIALS),
        ([], {"AWS_REGION": "eu-west-1"}, ENDPOINTS + CREDENTIALS),
        # A chosen profile keeps its keys and region: keys in the environment would win.
        ([], {"AWS_PROFILE": "work"}, ENDPOINTS),
        (["--region", "eu-west-1"], {"AWS_PROFILE": "work"}, ENDPOINTS + REGIONS),
    ],
)
def test_credentials_and_region_only_where_the_shell_has_none(
    args: list[str], variables: dict[str, str], names: list[str]
) -> None:
    lines = printed(*args, **variables)
    assert list(lines) == names
    if "AWS_ACCESS_KEY_ID" in lines:
        assert (lines["AWS_ACCESS_KEY_ID"], lines["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    if "AWS_REGION" in lines:
        assert lines["AWS_REGION"] == lines["AWS_DEFAULT_REGION"]
        assert lines["AWS_REGION"] == ("eu-west-1" if args else "us-east-1")


def test_fish_and_powershell_syntax() -> None:
    env = clean_environment(AWS_PROFILE="work")
    fish = run_poolmail("env", "--shell", "fish", "--endpoint-url", "http://h:1", env=env)
    assert fish.stdout.splitlines() == [
        "set -gx AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER 'http://h:1';",
        "set -gx AWS_ENDPOINT_URL_SES 'http://h:1';",
        "set -gx AWS_ENDPOINT_URL_SESV2 'http://h:1';",
        "# Run this command to configure your shell:",
        "# poolmail env --shell fish | source",
    ]
    powershell = run_poolmail(
        "env", "--shell", "powershell", "--endpoint-url", "http://h:1", env=env
    )
    assert powershell.stdout.splitlines()[:3] == [
        "$Env:AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = 'http://h:1'",
        "$Env:AWS_ENDPOINT_URL_SES = 'http://h:1'",
        "$Env:AWS_ENDPOINT_URL_SESV2 = 'http://h:1'",
    ]
    assert powershell.stdout.splitlines()[-1] == (
        "# poolmail env --shell powershell | Invoke-Expression"
    )


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        (["--endpoint-url", "127.0.0.1:4747"], {}, "--endpoint-url must be an http:// or https://"),
        ([], {"POOLMAIL_PORT": "0"}, "POOLMAIL_PORT is 0 (any free port)"),
        (["--shell", "tcsh"], {}, "invalid choice: 'tcsh'"),
    ],
)
def test_usage_errors(args: list[str], variables: dict[str, str], message: str) -> None:
    run = run_poolmail("env", *args, env=clean_environment(**variables))
    assert run.code == 2
    assert run.stdout == ""
    assert message in run.stderr
