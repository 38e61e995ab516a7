"""`integrate` and `doctor` find profile, region, credentials and endpoint as the AWS CLI
v2 does: flags, then the environment, then the shared config and credentials files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from poolmail.tools.aws import AwsOptions, connect
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess
from tests.tools.support import ToolRun, clean_environment, poolmail, run_poolmail

AWS = str(Path(sys.executable).parent / "aws")
ACCOUNT = "111122223333"  # the profiles' key: a 12-digit key acts as that account
OTHER_ACCOUNT = "222233334444"
DEAD = "http://127.0.0.1:9"  # nothing listens there: a request sent to it fails

NO_REGION = (
    'You must specify a region. You can also configure your region by running "aws configure".'
)
KEYS = {"AWS_ACCESS_KEY_ID": "AKIDPOOLMAILTEST", "AWS_SECRET_ACCESS_KEY": "secret"}
NO_CREDENTIALS = (
    'Unable to locate credentials. You can configure credentials by running "aws configure".'
)


def write_profiles(tmp_path: Path, url: str, extra_config: str = "") -> dict[str, str]:
    """A config file with profiles `shop` (us-east-1) and `elsewhere` (eu-west-1) whose
    `services` section points Cognito and SES at `url`, and their credentials file."""
    endpoints = "\n".join(
        f"{service} =\n  endpoint_url = {url}"
        for service in ("cognito_identity_provider", "ses", "sesv2")
    )
    config = tmp_path / "config"
    config.write_text(
        f"[profile shop]\nregion = us-east-1\nservices = local\n\n"
        f"[profile elsewhere]\nregion = eu-west-1\nservices = local\n\n"
        f"[services local]\n{endpoints}\n\n{extra_config}"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {ACCOUNT}\naws_secret_access_key = secret\n"
            for name in ("shop", "elsewhere")
        )
    )
    return {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}


def shop_pool(server: ServerProcess) -> dict[str, Any]:
    """A default-sender pool of the profiles' account: doctor finds it healthy."""
    cognito = server.client("cognito-idp", access_key=ACCOUNT)
    pool: dict[str, Any] = cognito.create_user_pool(PoolName="shop")["UserPool"]
    return pool


def doctor(pool_id: str, *flags: str, **env: str) -> ToolRun:
    return run_poolmail(
        "doctor", "--user-pool-id", pool_id, "--json", *flags, env=clean_environment(**env)
    )


def test_the_article_tools_bar_with_region_and_profile(
    local: ServerProcess, tmp_path: Path
) -> None:
    pool = shop_pool(local)
    verify(local, "admin@example.com", account=ACCOUNT)
    production_access(local, account=ACCOUNT)
    # Nothing but the files: the profile gives the keys, the region and the endpoints.
    env = clean_environment(**write_profiles(tmp_path, local.url))
    applied = run_poolmail(
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "admin@example.com",
        "--region",
        "us-east-1",
        "--profile",
        "shop",
        "--json",
        env=env,
    )
    assert applied.code == 0, applied.stdout + applied.stderr
    assert applied.document["applied"] is True
    described = local.client("cognito-idp", access_key=ACCOUNT).describe_user_pool(
        UserPoolId=pool["Id"]
    )["UserPool"]
    assert described["EmailConfiguration"]["SourceArn"] == (
        f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/admin@example.com"
    )
    checked = run_poolmail(
        "doctor",
        "--user-pool-id",
        pool["Id"],
        "--region",
        "us-east-1",
        "--profile",
        "shop",
        "--json",
        env=env,
    )
    assert checked.code == 0, checked.stdout + checked.stderr
    found = {finding["check"]: finding for finding in checked.document["findings"]}
    assert found["identity"]["severity"] == "ok"
    # The endpoint came from the profile's services section, and doctor knew it for
    # poolmail's own: it read the recent rejections there.
    assert found["rejections"]["severity"] == "ok"


def test_the_article_tools_bar_with_region_and_environment_keys(local: ServerProcess) -> None:
    pool = local.client("cognito-idp").create_user_pool(PoolName="shop")["UserPool"]
    verify(local, "admin@example.com")
    run = poolmail(
        local,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "admin@example.com",
        "--region",
        "us-east-1",
        "--json",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.document["applied"] is True


@pytest.mark.parametrize(
    ("flags", "env", "in_use"),
    [
        (["--region", "us-east-1"], {"AWS_PROFILE": "elsewhere", "AWS_REGION": "us-west-2"}, None),
        (
            [],
            {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-east-1"},
            "us-west-2 (from AWS_REGION)",
        ),
        (
            [],
            {"AWS_PROFILE": "shop", "AWS_DEFAULT_REGION": "us-west-2"},
            "us-west-2 (from AWS_DEFAULT_REGION)",
        ),
        ([], {"AWS_PROFILE": "shop"}, None),
        ([], {"AWS_PROFILE": "elsewhere"}, "eu-west-1 (from profile elsewhere)"),
        (["--profile", "shop"], {"AWS_PROFILE": "elsewhere"}, None),
        # The AWS CLI v2's order; botocore alone (and the CLI v1) would take the second.
        (
            [],
            {"AWS_PROFILE": "elsewhere", "AWS_DEFAULT_PROFILE": "shop"},
            "eu-west-1 (from profile elsewhere)",
        ),
    ],
)
def test_region_and_profile_precedence(
    local: ServerProcess,
    tmp_path: Path,
    flags: list[str],
    env: dict[str, str],
    in_use: str | None,
) -> None:
    pool = shop_pool(local)
    # The profile shop (us-east-1) gives the keys where a case names no other.
    env = {"AWS_PROFILE": "shop", **env}
    run = doctor(pool["Id"], *flags, **write_profiles(tmp_path, local.url), **env)
    if in_use is None:
        assert run.code == 0, run.stdout + run.stderr
        return
    assert run.code == 1
    (finding,) = run.document["findings"]
    assert finding["check"] == "pool"
    assert f"is in us-east-1, but the region in use is {in_use}" in finding["message"]
    assert finding["fix"] == "add --region us-east-1"


def test_a_region_flag_other_than_the_pools_is_refused_before_any_call(
    local: ServerProcess,
) -> None:
    pool = local.client("cognito-idp").create_user_pool(PoolName="shop")["UserPool"]
    verify(local, "example.com")
    run = poolmail(
        local,
        "integrate",
        "--user-pool-id",
        pool["Id"],
        "--identity",
        "example.com",
        "--region",
        "eu-west-1",
        "--json",
    )
    assert run.code == 1
    assert run.document["steps"] == [
        {
            "check": "pool",
            "severity": "error",
            "message": f"user pool {pool['Id']} is in us-east-1, but the region in use is "
            "eu-west-1 (from --region)",
            "evidence": None,
            "fix": "add --region us-east-1",
        }
    ]


def test_an_explicit_profile_passes_over_environment_keys(
    local: ServerProcess, tmp_path: Path
) -> None:
    """As botocore's chain has it: `--profile` sets the profile explicitly and its keys
    win; AWS_PROFILE does not, and keys in the environment come first."""
    pool = shop_pool(local)
    files = write_profiles(tmp_path, local.url)
    keys = {"AWS_ACCESS_KEY_ID": OTHER_ACCOUNT, "AWS_SECRET_ACCESS_KEY": "secret"}
    assert doctor(pool["Id"], "--profile", "shop", **files, **keys).code == 0
    other = doctor(pool["Id"], **files, **keys, AWS_PROFILE="shop")
    assert other.code == 1
    assert "ResourceNotFoundException" in other.document["findings"][0]["message"]


SERVICE_VARIABLES = (
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_SES",
    "AWS_ENDPOINT_URL_SESV2",
)


def services_section(url: str) -> str:
    """The default profile's `services` setting and the section it names."""
    return "services = mine\n\n[services mine]\n" + "".join(
        f"{name} =\n  endpoint_url = {url}\n"
        for name in ("cognito_identity_provider", "ses", "sesv2")
    )


def endpoint_cases(url: str) -> list[tuple[list[str], dict[str, str], str, bool]]:
    """(flags, environment, the default profile's config lines, reaches the server); in
    each, every source below the one that should win points nowhere."""
    live_services = dict.fromkeys(SERVICE_VARIABLES, url)
    dead_services = dict.fromkeys(SERVICE_VARIABLES, DEAD)
    return [
        (["--endpoint-url", url], {**dead_services, "AWS_ENDPOINT_URL": DEAD}, "", True),
        ([], {**live_services, "AWS_ENDPOINT_URL": DEAD}, services_section(DEAD), True),
        ([], {**dead_services, "AWS_ENDPOINT_URL": url}, "", False),
        ([], {"AWS_ENDPOINT_URL": url}, services_section(DEAD), True),
        ([], {}, f"endpoint_url = {DEAD}\n{services_section(url)}", True),
        ([], {}, f"endpoint_url = {url}\n", True),
    ]


@pytest.mark.parametrize("case", range(6))
def test_endpoint_precedence(local: ServerProcess, tmp_path: Path, case: int) -> None:
    """Flag, then AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the profile's
    services section, then its endpoint_url."""
    flags, env, config, reaches = endpoint_cases(local.url)[case]
    pool = local.client("cognito-idp").create_user_pool(PoolName="plain")["UserPool"]
    config_file = tmp_path / "config"
    config_file.write_text(f"[default]\nregion = us-east-1\n{config}")
    run = doctor(
        pool["Id"],
        *flags,
        AWS_CONFIG_FILE=str(config_file),
        AWS_ACCESS_KEY_ID="AKIDPOOLMAILTEST",
        AWS_SECRET_ACCESS_KEY="secret",
        **env,
    )
    if reaches:
        assert run.code == 0, run.stdout + run.stderr
    else:
        assert run.code == 1
        assert f'Could not connect to the endpoint URL: "{DEAD}/"' in run.document["error"]


def aws_cli_error(env: dict[str, str], *flags: str) -> str:
    """What the installed AWS CLI says, for the same settings."""
    done = subprocess.run(
        [AWS, "cognito-idp", "list-user-pools", "--max-results", "1", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    return done.stderr.strip()


@pytest.mark.parametrize(
    ("flags", "env", "text"),
    [
        ([], KEYS, NO_REGION),
        (["--region", "us-east-1"], {}, NO_CREDENTIALS),
        (["--profile", "nope"], {}, "The config profile (nope) could not be found"),
        ([], {"AWS_PROFILE": "nope"}, "The config profile (nope) could not be found"),
        (
            ["--region", "us-east-1", "--endpoint-url", "127.0.0.1:4747"],
            KEYS,
            'Bad value for --endpoint-url "127.0.0.1:4747": scheme is missing.  Must be of '
            "the form http://<hostname>/ or https://<hostname>/",
        ),
        (
            ["--region", "us-east-1"],
            {**KEYS, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "poolmail"},
            "Invalid endpoint: poolmail",
        ),
    ],
)
def test_configuration_errors_in_the_aws_clis_words(
    local: ServerProcess, flags: list[str], env: dict[str, str], text: str
) -> None:
    environment = clean_environment(AWS_ENDPOINT_URL=local.url, **env)
    for command in ("integrate", "doctor"):
        args = ["--user-pool-id", "us-east-1_abcdefghi", "--json", *flags]
        if command == "integrate":
            args += ["--identity", "example.com"]
        run = run_poolmail(command, *args, env=environment)
        assert (run.code, run.stdout, run.stderr) == (2, "", f"poolmail: {text}\n")
    assert aws_cli_error(environment, *flags) == text


@pytest.fixture
def no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in clean_environment().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDPOOLMAILTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return monkeypatch


def test_which_endpoint_counts_as_configured(no_aws_environment: pytest.MonkeyPatch) -> None:
    """No request is sent: the clients are only made and their endpoints compared."""
    no_aws_environment.setenv("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:4747")
    clients = connect(AwsOptions(region="eu-west-1"))
    assert (clients.region, clients.region_source) == ("eu-west-1", "--region")
    assert clients.configured_endpoint("ses", "eu-west-1") == "http://127.0.0.1:4747"
    assert clients.configured_endpoint("cognito-idp", "eu-west-1") is None
    assert clients.cognito("eu-west-1").meta.endpoint_url == (
        "https://cognito-idp.eu-west-1.amazonaws.com"
    )
    # The AWS CLI's switch to ignore configured endpoints; only the flag still counts.
    no_aws_environment.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    ignoring = connect(AwsOptions(region="eu-west-1"))
    assert ignoring.configured_endpoint("ses", "eu-west-1") is None
    flagged = connect(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    assert flagged.configured_endpoint("sesv2", "eu-west-1") == "http://127.0.0.1:9"
    assert flagged.sesv2("eu-west-1").meta.endpoint_url == "http://127.0.0.1:9"
