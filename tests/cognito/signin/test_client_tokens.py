"""GetClientToken (M2M access tokens from a client's ID and secret) and GetDerivedToken
(token exchange: a user's token for a scoped-down, audience-bound one)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import FLOWS, confirmed_user, error_of, idp, make_pool, password_auth
from tests.support.server import ServerProcess

EXCHANGE = ["ALLOW_TOKEN_EXCHANGE_IMPERSONATION", "ALLOW_TOKEN_EXCHANGE_DELEGATION"]


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def m2m_client(server: ServerProcess, pool_id: str, **settings: Any) -> dict[str, Any]:
    """A client_credentials client of the `api` resource server's read and write scopes."""
    cognito = idp(server)
    servers = cognito.list_resource_servers(UserPoolId=pool_id, MaxResults=50)
    if not servers["ResourceServers"]:
        cognito.create_resource_server(
            UserPoolId=pool_id,
            Identifier="api",
            Name="API",
            Scopes=[
                {"ScopeName": "read", "ScopeDescription": "read"},
                {"ScopeName": "write", "ScopeDescription": "write"},
            ],
        )
    client: dict[str, Any] = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="service",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["api/read", "api/write"],
        **settings,
    )["UserPoolClient"]
    return client


def test_client_token_carries_the_clients_scopes(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client = m2m_client(live, pool_id)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    result = cognito.get_client_token(ClientId=client_id, Secret=secret)[
        "ClientAuthenticationResult"
    ]
    assert (result["ExpiresIn"], result["TokenType"]) == (3600, "Bearer")
    claims = claims_of(result["AccessToken"])
    assert claims["sub"] == claims["client_id"] == client_id
    assert claims["scope"] == "api/read api/write"
    assert claims["token_use"] == "access"
    assert claims["iss"].endswith(f"/{pool_id}")
    narrowed = cognito.get_client_token(ClientId=client_id, Secret=secret, Scopes=["api/read"])
    assert claims_of(narrowed["ClientAuthenticationResult"]["AccessToken"])["scope"] == "api/read"
    # A rotated-in secret works as well.
    added = cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)
    second = added["ClientSecretDescriptor"]["ClientSecretValue"]
    assert cognito.get_client_token(ClientId=client_id, Secret=second)["ClientAuthenticationResult"]

    refusals = [
        (
            {"ClientId": client_id, "Secret": secret, "Scopes": ["api/admin"]},
            ("InvalidParameterException", "Invalid scope requested: api/admin"),
        ),
        (
            {"ClientId": client_id, "Secret": "x" * 30},
            ("NotAuthorizedException", "Invalid client secret provided."),
        ),
    ]
    public = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")
    public_id = public["UserPoolClient"]["ClientId"]
    refusals.append(
        (
            {"ClientId": public_id, "Secret": "x" * 30},
            ("InvalidParameterException", f"Client {public_id} has no client secret."),
        )
    )
    user_client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", GenerateSecret=True
    )["UserPoolClient"]
    refusals.append(
        (
            {"ClientId": user_client["ClientId"], "Secret": user_client["ClientSecret"]},
            ("InvalidParameterException", "CLIENT_TOKEN_AUTH flow not enabled for this client"),
        )
    )
    for params, expected in refusals:
        with pytest.raises(ClientError) as excinfo:
            cognito.get_client_token(**params)
        assert error_of(excinfo) == expected


def exchange_pool(server: ServerProcess) -> tuple[str, str]:
    pool_id = make_pool(server)
    client_id = idp(server).create_user_pool_client(
        UserPoolId=pool_id, ClientName="agent", ExplicitAuthFlows=[*FLOWS, *EXCHANGE]
    )["UserPoolClient"]["ClientId"]
    for name in ("alice", "bot"):
        confirmed_user(server, pool_id, name)
    return pool_id, client_id


def test_derived_tokens_keep_the_user_and_their_sign_in(live: ServerProcess) -> None:
    cognito = idp(live)
    _, client_id = exchange_pool(live)
    alice = password_auth(live, client_id, "alice")["AuthenticationResult"]
    derived = cognito.get_derived_token(
        ClientId=client_id,
        SubjectToken=alice["AccessToken"],
        SubjectTokenType="ACCESS_TOKEN",
        Audiences=["orders"],
    )
    assert derived["IssuedTokenType"] == "ACCESS_TOKEN"
    assert (derived["TokenType"], derived["ExpiresIn"]) == ("Bearer", 3600)
    assert derived["Scopes"] == ["aws.cognito.signin.user.admin"]
    claims, subject = claims_of(derived["IssuedToken"]), claims_of(alice["AccessToken"])
    assert claims["aud"] == "orders"
    assert (claims["sub"], claims["username"]) == (subject["sub"], "alice")
    assert "act" not in claims
    # The derived token is the user's: it reads them, until their sign-in ends.
    assert cognito.get_user(AccessToken=derived["IssuedToken"])["Username"] == "alice"

    # Delegation: an actor's token puts an act claim in.
    bot = password_auth(live, client_id, "bot")["AuthenticationResult"]
    delegated = cognito.get_derived_token(
        ClientId=client_id,
        SubjectToken=alice["IdToken"],
        SubjectTokenType="ID_TOKEN",
        ActorToken=bot["AccessToken"],
        ActorTokenType="ACCESS_TOKEN",
        RequestedTokenType="ID_TOKEN",
    )
    assert (delegated["IssuedTokenType"], delegated["TokenType"]) == ("ID_TOKEN", "N_A")
    id_claims = claims_of(delegated["IssuedToken"])
    assert id_claims["act"] == {"sub": claims_of(bot["AccessToken"])["sub"]}
    assert (id_claims["token_use"], id_claims["aud"]) == ("id", client_id)

    # Scopes narrow to what the subject holds.
    narrowed = cognito.get_derived_token(
        ClientId=client_id,
        SubjectToken=alice["AccessToken"],
        SubjectTokenType="ACCESS_TOKEN",
        Scopes=["api/read"],
    )
    assert narrowed["Scopes"] == []

    cognito.global_sign_out(AccessToken=alice["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=derived["IssuedToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as excinfo:
        cognito.get_derived_token(
            ClientId=client_id, SubjectToken=alice["AccessToken"], SubjectTokenType="ACCESS_TOKEN"
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")


def test_derived_token_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id, client_id = exchange_pool(live)
    alice = password_auth(live, client_id, "alice")["AuthenticationResult"]
    plain = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="plain", ExplicitAuthFlows=FLOWS
    )["UserPoolClient"]["ClientId"]
    base = {"SubjectToken": alice["AccessToken"], "SubjectTokenType": "ACCESS_TOKEN"}
    cases = [
        (
            {"ClientId": plain, **base},
            (
                "InvalidParameterException",
                "TOKEN_EXCHANGE_IMPERSONATION flow not enabled for this client",
            ),
        ),
        (
            {"ClientId": client_id, **base, "Audiences": ["a"], "Resources": ["b"]},
            (
                "InvalidParameterException",
                "You can't request both Audiences and Resources in the same request.",
            ),
        ),
        (
            {
                "ClientId": client_id,
                "SubjectToken": alice["IdToken"],
                "SubjectTokenType": "ACCESS_TOKEN",
            },
            ("NotAuthorizedException", "Invalid Access Token"),
        ),
        (
            {"ClientId": client_id, "SubjectToken": "abc.def", "SubjectTokenType": "SAML2"},
            (
                "InvalidParameterException",
                "Tokens of third-party identity providers are not supported.",
            ),
        ),
    ]
    for params, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            cognito.get_derived_token(**params)
        assert error_of(excinfo) == expected
