"""`--verify-signatures`: SigV4 checked against configured keys, as AWS checks it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess

KEYS = "AKIDGOODKEY:good-secret,111122223333:account-secret"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("strict")
    server = ServerProcess(
        ["--data-dir", str(data), "--verify-signatures", "--credentials", KEYS]
    ).start()
    yield server
    server.stop()


def client(server: ServerProcess, service: str, key: str, secret: str) -> object:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_correct_signatures_are_accepted(strict: ServerProcess) -> None:
    cognito = client(strict, "cognito-idp", "AKIDGOODKEY", "good-secret")
    pool = cognito.create_user_pool(PoolName="signed")["UserPool"]  # type: ignore[attr-defined]
    assert pool["Arn"].startswith("arn:aws:cognito-idp:us-east-1:123456789012:")
    as_account = client(strict, "sesv2", "111122223333", "account-secret")
    assert as_account.list_email_identities()["EmailIdentities"] == []  # type: ignore[attr-defined]
    ses = client(strict, "ses", "AKIDGOODKEY", "good-secret")
    assert ses.list_identities(IdentityType="Domain")["Identities"] == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        (
            "cognito-idp",
            lambda c: c.list_user_pools(MaxResults=5),
            "InvalidSignatureException",
            400,
        ),
        ("ses", lambda c: c.list_identities(), "SignatureDoesNotMatch", 403),
        ("sesv2", lambda c: c.list_email_identities(), "InvalidSignatureException", 403),
    ],
)
def test_a_wrong_secret_is_refused(
    strict: ServerProcess, service: str, call: object, code: str, status: int
) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(client(strict, service, "AKIDGOODKEY", "wrong-secret"))  # type: ignore[operator]
    assert error_of(excinfo) == (code, MISMATCH, status)


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        (
            "cognito-idp",
            lambda c: c.list_user_pools(MaxResults=5),
            "UnrecognizedClientException",
            400,
        ),
        ("ses", lambda c: c.get_send_quota(), "InvalidClientTokenId", 403),
        ("sesv2", lambda c: c.get_account(), "UnrecognizedClientException", 403),
    ],
)
def test_an_unknown_key_is_refused(
    strict: ServerProcess, service: str, call: object, code: str, status: int
) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(client(strict, service, "AKIDUNKNOWN", "whatever"))  # type: ignore[operator]
    assert error_of(excinfo) == (
        code,
        "The security token included in the request is invalid.",
        status,
    )


def test_an_old_signature_has_expired(strict: ServerProcess) -> None:
    body = b'{"MaxResults": 5}'
    request = AWSRequest(
        method="POST",
        url=f"{strict.url}/",
        data=body,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    signer = SigV4Auth(Credentials("AKIDGOODKEY", "good-secret"), "cognito-idp", "us-east-1")
    then = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    request.context["timestamp"] = then.strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    answer = httpx.post(f"{strict.url}/", content=body, headers=dict(request.headers.items()))
    assert answer.status_code == 400
    assert answer.json()["__type"] == "InvalidSignatureException"
    assert answer.json()["message"].startswith(
        f"Signature expired: {then.strftime('%Y%m%dT%H%M%SZ')} is now earlier than "
    )


def test_public_operations_may_be_unsigned_but_admin_ones_may_not(strict: ServerProcess) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    admin = httpx.post(
        f"{strict.url}/",
        headers={**headers, "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools"},
        content=b'{"MaxResults": 5}',
    )
    assert (admin.status_code, admin.json()["__type"]) == (
        400,
        "MissingAuthenticationTokenException",
    )
    public = httpx.post(
        f"{strict.url}/",
        headers={**headers, "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"},
        content=b'{"ClientId": "nosuchclient1234567890abcd", "Username": "u", "Password": "p"}',
    )
    # Past authentication: the server looked for the client.
    assert public.json()["__type"] == "ResourceNotFoundException"


def test_the_aws_cli_signs_acceptably(strict: ServerProcess, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDGOODKEY",
        "AWS_SECRET_ACCESS_KEY": "good-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    aws = str(Path(sys.executable).parent / "aws")
    for args in (["ses", "list-identities"], ["sesv2", "get-account"]):
        done = subprocess.run(
            [aws, *args, "--endpoint-url", strict.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def test_without_the_option_anything_goes(live: ServerProcess) -> None:
    cognito = client(live, "cognito-idp", "AKIDUNKNOWN", "whatever")
    assert cognito.list_user_pools(MaxResults=5)["UserPools"] == []  # type: ignore[attr-defined]
