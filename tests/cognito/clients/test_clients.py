"""App clients: what AWS returns for a new client, secrets, updates that reset omitted
members, deletion, listing with pages, and the errors for unknown pools and clients."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance
from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

CLIENT_ID = re.compile(r"[0-9a-v]{26}")
SECRET = re.compile(r"[0-9a-v]{51,52}")


def new_pool(server: ServerProcess) -> str:
    pool_id: str = server.client("cognito-idp").create_user_pool(PoolName="shop")["UserPool"]["Id"]
    return pool_id


def new_client(server: ServerProcess, pool_id: str, **settings: Any) -> dict[str, Any]:
    cognito = server.client("cognito-idp")
    client: dict[str, Any] = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", **settings
    )["UserPoolClient"]
    return client


def test_a_new_client_shows_awss_defaults(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    client = new_client(live, pool_id)
    assert CLIENT_ID.fullmatch(client["ClientId"])
    # Real output for `create-user-pool-client --client-name ...` (2024-11).
    assert client == {
        "UserPoolId": pool_id,
        "ClientName": "web",
        "ClientId": client["ClientId"],
        "LastModifiedDate": client["CreationDate"],
        "CreationDate": client["CreationDate"],
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {},
        "AllowedOAuthFlowsUserPoolClient": False,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }
    described = live.client("cognito-idp").describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"]
    )
    assert described["UserPoolClient"] == client


def test_given_settings_are_returned(live: ServerProcess) -> None:
    settings = {
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": 30,
        "IdTokenValidity": 2,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours"},
        "PreventUserExistenceErrors": "ENABLED",
        "ReadAttributes": ["email"],
        "CallbackURLs": ["https://example.com/callback"],
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
    }
    client = new_client(live, new_pool(live), **settings)
    assert {key: client[key] for key in settings} == settings


def test_generated_and_given_secrets(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    generated = new_client(live, pool_id, GenerateSecret=True)
    assert SECRET.fullmatch(generated["ClientSecret"])
    given = new_client(live, pool_id, ClientSecret="a" * 30)
    assert given["ClientSecret"] == "a" * 30
    with pytest.raises(ClientError) as excinfo:
        new_client(live, pool_id, GenerateSecret=True, ClientSecret="a" * 30)
    assert error_of(excinfo)[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    "settings",
    [
        {"AccessTokenValidity": 25},  # hours by default
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "days"}},
        {"RefreshTokenValidity": 3651},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
    ],
    ids=["access-25h", "access-4min", "id-2days", "refresh-3651days", "refresh-59min"],
)
def test_token_validity_ranges(live: ServerProcess, settings: dict[str, Any]) -> None:
    pool_id = new_pool(live)
    with pytest.raises(ClientError) as excinfo:
        new_client(live, pool_id, **settings)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid range for token validity.",
        400,
    )


def test_zero_refresh_validity_means_thirty_days(live: ServerProcess) -> None:
    client = new_client(live, new_pool(live), RefreshTokenValidity=0)
    assert client["RefreshTokenValidity"] == 30


def test_update_resets_what_it_leaves_out(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    created = new_client(
        live,
        pool_id,
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenValidity=10,
        EnableTokenRevocation=False,
    )
    advance(live, 60)
    cognito = live.client("cognito-idp")
    updated = cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=created["ClientId"], AuthSessionValidity=5
    )["UserPoolClient"]
    assert (
        updated
        == cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])[
            "UserPoolClient"
        ]
    )
    assert updated["AuthSessionValidity"] == 5
    assert "ExplicitAuthFlows" not in updated
    assert updated["RefreshTokenValidity"] == 30
    assert updated["EnableTokenRevocation"] is True
    # The name and the secret are the client's own, not settings: they stay.
    assert updated["ClientName"] == "web"
    assert updated["ClientSecret"] == created["ClientSecret"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert (updated["LastModifiedDate"] - created["LastModifiedDate"]).total_seconds() >= 60
    renamed = cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=created["ClientId"], ClientName="mobile"
    )["UserPoolClient"]
    assert renamed["ClientName"] == "mobile"


def test_delete_then_the_client_is_gone(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    client_id = new_client(live, pool_id)["ClientId"]
    cognito = live.client("cognito-idp")
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool client {client_id} does not exist.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_unknown_pool_and_a_client_of_another_pool(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_client(UserPoolId="us-east-1_Missing12", ClientName="web")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing12 does not exist.",
        400,
    )
    client_id = new_client(live, new_pool(live))["ClientId"]
    other_pool = new_pool(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool_client(UserPoolId=other_pool, ClientId=client_id)
    assert error_of(excinfo)[1] == f"User pool client {client_id} does not exist."


def test_list_pages_through_the_pools_clients(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    made = [new_client(live, pool_id)["ClientId"] for _ in range(5)]
    new_client(live, new_pool(live))  # another pool's client is not listed
    cognito = live.client("cognito-idp")
    first = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=2)
    assert len(first["UserPoolClients"]) == 2 and "NextToken" in first
    assert first["UserPoolClients"][0] == {
        "ClientId": first["UserPoolClients"][0]["ClientId"],
        "UserPoolId": pool_id,
        "ClientName": "web",
    }
    pages = cognito.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=pool_id, MaxResults=2
    )
    listed = [client["ClientId"] for page in pages for client in page["UserPoolClients"]]
    assert sorted(listed) == sorted(made)
    everything = cognito.list_user_pool_clients(UserPoolId=pool_id)
    assert len(everything["UserPoolClients"]) == 5 and "NextToken" not in everything
    dynamic = cognito.list_user_pool_clients(UserPoolId=pool_id, ClientType="DCR")
    assert dynamic["UserPoolClients"] == []


def test_generated_secrets_are_51_or_52_digits_every_time() -> None:
    # One 256-bit number in 64 is below 2**250: written out, it was 50 digits or fewer,
    # a length no AWS secret has (the black-box test above failed one run in 64).
    from poolmail.cognito.clients.clients import new_client_secret

    assert all(SECRET.fullmatch(new_client_secret()) for _ in range(5_000))
