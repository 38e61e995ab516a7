"""`poolmail serve` as a process: help, ready line, clean shutdown, bad options."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess


def run_poolmail(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poolmail", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_help_documents_every_option_and_its_env_variable() -> None:
    result = run_poolmail("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option, env in [
        ("--host", "POOLMAIL_HOST"),
        ("--port", "POOLMAIL_PORT"),
        ("--data-dir", "POOLMAIL_DATA_DIR"),
        ("--database-url", "POOLMAIL_DATABASE_URL"),
        ("--account-id", "POOLMAIL_ACCOUNT_ID"),
        ("--log-level", "POOLMAIL_LOG_LEVEL"),
        ("--ses-sandbox", "POOLMAIL_SES_SANDBOX"),
        ("--production-access-review", "POOLMAIL_PRODUCTION_ACCESS_REVIEW"),
        ("--ses-max-24-hour-send", "POOLMAIL_SES_MAX_24_HOUR_SEND"),
        ("--ses-max-send-rate", "POOLMAIL_SES_MAX_SEND_RATE"),
        ("--dns-server", "POOLMAIL_DNS_SERVER"),
        ("--cognito-default-daily-email-limit", "POOLMAIL_COGNITO_DEFAULT_DAILY_EMAIL_LIMIT"),
        ("--relay", "POOLMAIL_RELAY"),
        ("--smtp-port", "POOLMAIL_SMTP_PORT"),
        ("--verify-signatures", "POOLMAIL_VERIFY_SIGNATURES"),
        ("--credentials", "POOLMAIL_CREDENTIALS"),
        ("--admin-token", "POOLMAIL_ADMIN_TOKEN"),
        ("--breached-passwords", "POOLMAIL_BREACHED_PASSWORDS"),
        ("--aws-endpoint-url", "POOLMAIL_AWS_ENDPOINT_URL"),
        ("--logs-endpoint-url", "POOLMAIL_LOGS_ENDPOINT_URL"),
        ("--kms-endpoint-url", "POOLMAIL_KMS_ENDPOINT_URL"),
        ("--s3-endpoint-url", "POOLMAIL_S3_ENDPOINT_URL"),
    ]:
        assert option in text
        assert f"env {env}" in text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_then_clean_stop(tmp_path: Path, sig: int) -> None:
    server = ServerProcess(["--data-dir", str(tmp_path)]).start()
    assert server.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{server.url}/_poolmail/health").json()["storage"] == "sqlite"
    assert server.stop(sig) == 0
    assert (tmp_path / "poolmail.sqlite3").exists()


def test_env_variables_configure_the_server(tmp_path: Path) -> None:
    server = ServerProcess(
        [], env={"POOLMAIL_DATA_DIR": str(tmp_path), "POOLMAIL_ACCOUNT_ID": "210987654321"}
    ).start()
    try:
        pool = server.client("cognito-idp").create_user_pool(PoolName="env")["UserPool"]
        assert ":210987654321:userpool/" in pool["Arn"]
        assert (tmp_path / "poolmail.sqlite3").exists()
    finally:
        server.stop()


def test_memory_data_dir_keeps_nothing(tmp_path: Path) -> None:
    server = ServerProcess(["--data-dir", ":memory:"]).start()
    try:
        server.client("cognito-idp").create_user_pool(PoolName="gone")
        server.restart()
        assert server.client("cognito-idp").list_user_pools(MaxResults=5)["UserPools"] == []
    finally:
        server.stop()


def test_a_websocket_upgrade_is_answered_as_plain_http() -> None:
    server = ServerProcess(["--data-dir", ":memory:"]).start()
    try:
        response = httpx.get(
            f"{server.url}/",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13",
            },
        )
        assert response.status_code == 400
        assert response.json()["__type"] == "UnknownOperationException"
    finally:
        server.stop()


# Needed by some requests or options only; each would add to every start-up (issue 8).
LAZY_IMPORTS = [
    "aiosmtpd",
    "aws_encryption_sdk",
    "boto3",
    "botocore.credentials",
    "cryptography",
    "dns",
    "html.parser",
    # Federation's IdP calls, ID token checks and SAML (cognito/federation).
    "httpx",
    "jinja2",
    "jwt",
    "regex",
    "rich",
    "saml2",
    "smtplib",
    "websockets",
    # poolmail's own: an operation's module is imported at its first call, the console
    # and most admin endpoints at their first request (operations.py, server/app.py).
    "poolmail.console",
    "poolmail.hosted.pages",
    "poolmail.hosted.oauth_endpoints",
    "poolmail.cognito.users.users",
    "poolmail.cognito.signin.auth",
    "poolmail.cognito.federation",
    "poolmail.ses.sending.sending",
    "poolmail.ses.sending.sending_v2",
    "poolmail.ses.sending.outbound",
    "poolmail.ses.identities.identities",
    "poolmail.ses.authentication",
    "poolmail.ses.contacts",
    "poolmail.ses.dedicated_ips",
    "poolmail.ses.deliverability",
    "poolmail.ses.events",
    "poolmail.ses.insights",
    "poolmail.ses.jobs.runner",
    "poolmail.ses.receiving",
    "poolmail.ses.suppression",
    "poolmail.ses.tenants.tenants",
    "poolmail.ses.tracking",
]


def test_start_up_leaves_out_what_only_some_requests_need() -> None:
    code = textwrap.dedent(
        """
        import sys

        from poolmail.cli import build_parser
        from poolmail.serve_options import settings_from
        from poolmail.server.process import server_config
        from poolmail.server.app import create_app
        from poolmail.store import open_database

        settings = settings_from(build_parser().parse_args(["serve", "--data-dir", ":memory:"]))
        app = create_app(settings, open_database(data_dir=":memory:"))
        server_config(app, settings, "warning").load()
        print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *LAZY_IMPORTS],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == []


def test_a_first_cognito_call_leaves_out_ses_and_the_console() -> None:
    code = textwrap.dedent(
        """
        import sys

        from starlette.testclient import TestClient

        from poolmail.cli import build_parser
        from poolmail.serve_options import settings_from
        from poolmail.server.app import create_app
        from poolmail.store import open_database

        settings = settings_from(build_parser().parse_args(["serve", "--data-dir", ":memory:"]))
        app = create_app(settings, open_database(data_dir=":memory:"))
        answer = TestClient(app).post(
            "/",
            content=b'{"MaxResults": 1}',
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            },
        )
        assert answer.status_code == 200, answer.text
        print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
        """
    )
    ses_and_console = [
        name for name in LAZY_IMPORTS if name.startswith(("poolmail.ses.", "poolmail.console"))
    ]
    result = subprocess.run(
        [sys.executable, "-c", code, *ses_and_console],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port 70000 is not between 0 and 65535"),
        (["--account-id", "12345"], "--account-id must be 12 digits"),
        (["--database-url", "mysql://x"], "postgresql://"),
        (["--ses-max-send-rate", "fast"], "--ses-max-send-rate fast is not a whole number"),
        (["--dns-server", "localhost"], "--dns-server must be HOST:PORT"),
        (["--ses-sandbox", "maybe"], "invalid choice"),
        (["--verify-signatures"], "--verify-signatures needs --credentials KEY_ID:SECRET"),
        (["--credentials", "nosecret"], "--credentials wants KEY_ID:SECRET"),
        (["--aws-endpoint-url", "localhost:4566"], "--aws-endpoint-url must be an http://"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str) -> None:
    result = run_poolmail("serve", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_no_command_is_a_usage_error() -> None:
    assert run_poolmail().returncode == 2


def test_integrate_and_doctor_take_the_aws_cli_options() -> None:
    for command in ("integrate", "doctor"):
        result = run_poolmail(command, "--help")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        for word in [
            "--region",
            "--profile",
            "--endpoint-url",
            "AWS_REGION, AWS_DEFAULT_REGION, then the profile's region",
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            "AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL,",
        ]:
            assert word in text, (command, word)


def test_env_prints_without_loading_the_aws_sdk() -> None:
    code = textwrap.dedent(
        """
        import sys

        from poolmail.cli import main

        main(["env", "--endpoint-url", "http://127.0.0.1:4747"])
        loaded = ("boto3", "botocore.session", "botocore.credentials")
        print(" ".join(name for name in loaded if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://127.0.0.1:4747"
    assert lines[-1] == ""
