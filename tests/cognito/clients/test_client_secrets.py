"""Client secret rotation: two secrets at a time, both sign in (SECRET_HASH and the
ClientSecret member), a deleted one no longer does, and the refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    FLOWS,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    secret_hash,
)
from tests.support.server import ServerProcess

SECRET = re.compile(r"[0-9a-v]{51,52}")
WRONG_HASH = "Unable to verify secret hash for client {}"


def secret_client(server: ServerProcess, pool_id: str, **settings: Any) -> dict[str, Any]:
    client: dict[str, Any] = idp(server).create_user_pool_client(
        UserPoolId=pool_id, ClientName="server", ExplicitAuthFlows=FLOWS, **settings
    )["UserPoolClient"]
    return client


def listed(server: ServerProcess, pool_id: str, client_id: str) -> list[dict[str, Any]]:
    secrets: list[dict[str, Any]] = idp(server).list_user_pool_client_secrets(
        UserPoolId=pool_id, ClientId=client_id
    )["ClientSecrets"]
    return secrets


def sign_in(server: ServerProcess, client_id: str, secret: str) -> dict[str, Any]:
    hashed = secret_hash(secret, "fred", client_id)
    result: dict[str, Any] = password_auth(server, client_id, "fred", SECRET_HASH=hashed)
    return result["AuthenticationResult"]


def test_a_second_secret_signs_in_and_a_deleted_one_no_longer_does(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    confirmed_user(live, pool_id, "fred")
    client = secret_client(live, pool_id, GenerateSecret=True)
    client_id, first = client["ClientId"], client["ClientSecret"]
    [original] = listed(live, pool_id, client_id)
    assert original["ClientSecretCreateDate"] == client["CreationDate"]
    created = round(client["CreationDate"].timestamp() * 1000)
    assert original["ClientSecretId"] == f"{client_id}--{created}"
    assert "ClientSecretValue" not in original

    added = idp(live).add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)
    descriptor = added["ClientSecretDescriptor"]
    second = descriptor["ClientSecretValue"]
    assert SECRET.fullmatch(second) and second != first
    assert descriptor["ClientSecretId"].startswith(f"{client_id}--")
    assert [entry["ClientSecretId"] for entry in listed(live, pool_id, client_id)] == [
        original["ClientSecretId"],
        descriptor["ClientSecretId"],
    ]

    # During the rotation both secrets sign in and refresh.
    for secret in (first, second):
        result = sign_in(live, client_id, secret)
        renewed = idp(live).get_tokens_from_refresh_token(
            RefreshToken=result["RefreshToken"], ClientId=client_id, ClientSecret=secret
        )
        assert "AccessToken" in renewed["AuthenticationResult"]
    refreshed = idp(live).initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": result["RefreshToken"],
            "SECRET_HASH": secret_hash(first, "fred", client_id),
        },
    )
    assert "IdToken" in refreshed["AuthenticationResult"]

    idp(live).delete_user_pool_client_secret(
        UserPoolId=pool_id, ClientId=client_id, ClientSecretId=original["ClientSecretId"]
    )
    with pytest.raises(ClientError) as excinfo:
        sign_in(live, client_id, first)
    assert error_of(excinfo) == ("NotAuthorizedException", WRONG_HASH.format(client_id))
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_tokens_from_refresh_token(
            RefreshToken=result["RefreshToken"], ClientId=client_id, ClientSecret=first
        )
    assert error_of(excinfo) == ("NotAuthorizedException", WRONG_HASH.format(client_id))
    # RevokeToken takes the remaining secret, no longer the deleted one.
    current = sign_in(live, client_id, second)["RefreshToken"]
    with pytest.raises(ClientError) as excinfo:
        idp(live).revoke_token(Token=current, ClientId=client_id, ClientSecret=first)
    assert error_of(excinfo) == ("UnauthorizedException", "Invalid client secret provided.")
    idp(live).revoke_token(Token=current, ClientId=client_id, ClientSecret=second)
    # The secret the client was created with is not replaced by the added one.
    described = idp(live).describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert "ClientSecret" not in described["UserPoolClient"]


def test_a_given_secret_is_not_echoed_and_survives_updates(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    confirmed_user(live, pool_id, "fred")
    client_id = secret_client(live, pool_id, ClientSecret="a" * 30)["ClientId"]
    added = idp(live).add_user_pool_client_secret(
        UserPoolId=pool_id, ClientId=client_id, ClientSecret="b" * 40
    )
    assert set(added["ClientSecretDescriptor"]) == {"ClientSecretId", "ClientSecretCreateDate"}
    idp(live).update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=FLOWS
    )
    assert len(listed(live, pool_id, client_id)) == 2
    sign_in(live, client_id, "b" * 40)
    sign_in(live, client_id, "a" * 30)
    described = idp(live).describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert described["UserPoolClient"]["ClientSecret"] == "a" * 30


def test_refusals(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    public = secret_client(live, pool_id)["ClientId"]
    assert listed(live, pool_id, public) == []
    with pytest.raises(ClientError) as excinfo:
        cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=public)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Client {public} has no client secret: only a confidential app client can add one.",
    )

    client_id = secret_client(live, pool_id, GenerateSecret=True)["ClientId"]
    cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(excinfo) == (
        "LimitExceededException",
        f"Client {client_id} already has the maximum of 2 client secrets.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_client_secret(
            UserPoolId=pool_id, ClientId=client_id, ClientSecretId=f"{client_id}--1"
        )
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Client secret {client_id}--1 does not exist.",
    )
    first, second = (entry["ClientSecretId"] for entry in listed(live, pool_id, client_id))
    cognito.delete_user_pool_client_secret(
        UserPoolId=pool_id, ClientId=client_id, ClientSecretId=second
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_client_secret(
            UserPoolId=pool_id, ClientId=client_id, ClientSecretId=first
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"The last remaining client secret of client {client_id} cannot be deleted.",
    )

    # Unknown clients and clients of another pool; a too-short given secret.
    other_pool = make_pool(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pool_client_secrets(UserPoolId=other_pool, ClientId=client_id)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool client {client_id} does not exist.",
    )
    with pytest.raises(ClientError) as excinfo:
        idp(live, validate=False).add_user_pool_client_secret(
            UserPoolId=pool_id, ClientId=client_id, ClientSecret="short"
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"
