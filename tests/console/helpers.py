"""Steps the console tests share: pools, identities and posts the way a browser sends them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

__all__ = ["form_post", "production_access", "signed_up_pool", "verify"]

PASSWORD = "Correct-Horse-9"


def form_post(
    server: ServerProcess, path: str, fields: dict[str, str], *, origin: str | None = "self"
) -> httpx.Response:
    """POST a console form as a same-origin page would (``origin="self"``), from another
    site (any other origin), or with no Origin at all (``None``)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["Origin"] = server.url if origin == "self" else origin
    return httpx.post(f"{server.url}{path}", data=fields, headers=headers)


def signed_up_pool(server: ServerProcess, username: str, email: str) -> tuple[str, str]:
    """A pool that mails verification codes, with one user signed up: (pool id, client id)."""
    cognito = server.client("cognito-idp")
    pool: dict[str, Any] = cognito.create_user_pool(
        PoolName="shop", AutoVerifiedAttributes=["email"]
    )["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")
    client_id = str(client["UserPoolClient"]["ClientId"])
    sign_up(server, client_id, username, email)
    return str(pool["Id"]), client_id


def sign_up(server: ServerProcess, client_id: str, username: str, email: str) -> None:
    server.client("cognito-idp").sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
