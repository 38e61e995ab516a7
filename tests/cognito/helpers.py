"""What the Cognito tests share: boto3 clients that never retry, pools, app clients and
users made through the API, the mail a user was sent, sign-in and refresh calls, and AWS's
error of a refused call."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.ses.helpers import messages
from tests.support.server import ServerProcess

PASSWORD = "Passw0rd!"


def idp(server: ServerProcess, *, validate: bool = True) -> Any:
    """A Cognito client that never retries: botocore retries LimitExceededException, which
    would turn a refused SignUp into a second one (and UsernameExistsException)."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDPOOLMAILTEST",
        aws_secret_access_key="secret",
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}),
    )


def make_pool(server: ServerProcess, **settings: Any) -> str:
    cognito = idp(server)
    pool: dict[str, Any] = cognito.create_user_pool(PoolName="users", **settings)["UserPool"]
    return str(pool["Id"])


def make_client(server: ServerProcess, pool_id: str, **settings: Any) -> str:
    cognito = idp(server)
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app", **settings)
    return str(client["UserPoolClient"]["ClientId"])


def email_pool(server: ServerProcess, **settings: Any) -> tuple[str, str]:
    """A pool that verifies email, with an app client: (pool id, client id)."""
    pool_id = make_pool(server, AutoVerifiedAttributes=["email"], **settings)
    return pool_id, make_client(server, pool_id)


def sign_up(
    server: ServerProcess, client_id: str, username: str, email: str | None, **extra: Any
) -> dict[str, Any]:
    attributes = [{"Name": "email", "Value": email}] if email else []
    answer: dict[str, Any] = idp(server).sign_up(
        ClientId=client_id, Username=username, Password=PASSWORD, UserAttributes=attributes, **extra
    )
    return answer


def latest_mail(server: ServerProcess, recipient: str) -> dict[str, Any]:
    found = messages(server, recipient=recipient, limit=1)
    assert found, f"no mail to {recipient}"
    return found[0]


def code_for(server: ServerProcess, recipient: str) -> str:
    return str(latest_mail(server, recipient)["details"]["code"])


def user_of(server: ServerProcess, pool_id: str, username: str) -> dict[str, Any]:
    user: dict[str, Any] = idp(server).admin_get_user(UserPoolId=pool_id, Username=username)
    user["attributes"] = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    return user


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")


def auth_client(server: ServerProcess, pool_id: str, **settings: Any) -> str:
    """An app client with every password flow on (unless ExplicitAuthFlows is given)."""
    settings.setdefault("ExplicitAuthFlows", FLOWS)
    client = idp(server).create_user_pool_client(UserPoolId=pool_id, ClientName="app", **settings)
    return str(client["UserPoolClient"]["ClientId"])


def auth_pool(server: ServerProcess, **pool_settings: Any) -> tuple[str, str]:
    pool_id = make_pool(server, **pool_settings)
    return pool_id, auth_client(server, pool_id)


def confirmed_user(
    server: ServerProcess,
    pool_id: str,
    username: str,
    password: str = PASSWORD,
    email: str | None = None,
) -> None:
    attributes = [{"Name": "email", "Value": email or f"{username}@example.com"}]
    attributes.append({"Name": "email_verified", "Value": "true"})
    cognito = idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )


def password_auth(
    server: ServerProcess, client_id: str, username: str, password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )
    return answer


def signed_in(server: ServerProcess, username: str = "alice") -> tuple[str, str, dict[str, Any]]:
    """A pool, a client and a confirmed user's AuthenticationResult."""
    pool_id, client_id = auth_pool(server)
    confirmed_user(server, pool_id, username)
    return pool_id, client_id, password_auth(server, client_id, username)["AuthenticationResult"]


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def refresh(
    server: ServerProcess, client_id: str, token: str, flow: str = "REFRESH_TOKEN_AUTH"
) -> Any:
    return idp(server).initiate_auth(
        ClientId=client_id, AuthFlow=flow, AuthParameters={"REFRESH_TOKEN": token}
    )
