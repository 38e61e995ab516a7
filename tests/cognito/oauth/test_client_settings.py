"""App clients' OAuth settings, checked as AWS checks them (facts 2), and nothing stored
on a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.oauth.helpers import API, CALLBACK, App

OAUTH: dict[str, Any] = {
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid"],
    "CallbackURLs": [CALLBACK],
}

REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    (
        {"AllowedOAuthFlows": []},
        "InvalidParameterException",
        "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is "
        "allowed to use OAuth flows.",
    ),
    (
        {"CallbackURLs": []},
        "InvalidOAuthFlowException",
        "CallbackUrls can not be empty when code flow or implicit flow is selected",
    ),
    (
        {"AllowedOAuthFlows": ["code", "client_credentials"], "GenerateSecret": True},
        "InvalidOAuthFlowException",
        "client_credentials flow can not be selected along with code flow or implicit flow.",
    ),
    (
        {"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": [f"{API}/read"]},
        "InvalidOAuthFlowException",
        "client_credentials flow can not be selected if client does not have a client secret.",
    ),
    (
        {"AllowedOAuthFlows": ["client_credentials"], "GenerateSecret": True},
        "InvalidOAuthFlowException",
        "openid is not supported with client_credentials flow",
    ),
    (
        {"AllowedOAuthScopes": ["email"]},
        "InvalidParameterException",
        "The openid scope is required when email, phone or profile is requested.",
    ),
    (
        {"CallbackURLs": ["http://app.example.com/cb"]},
        "InvalidParameterException",
        "Invalid URL http://app.example.com/cb: it must be absolute, without a fragment, and "
        "use HTTPS unless it is for localhost.",
    ),
    (
        {"DefaultRedirectURI": "https://other.example.com/"},
        "InvalidParameterException",
        "DefaultRedirectURI must be one of the CallbackURLs.",
    ),
]


def test_oauth_settings_are_checked(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    for change, code, message in REFUSALS:
        with pytest.raises(ClientError) as excinfo:
            cognito.create_user_pool_client(
                UserPoolId=app.pool_id, ClientName="x", **{**OAUTH, **change}
            )
        error = excinfo.value.response["Error"]
        assert (error["Code"], error["Message"]) == (code, message), change
    listed = cognito.list_user_pool_clients(UserPoolId=app.pool_id, MaxResults=10)
    assert len(listed["UserPoolClients"]) == 2

    # Loopback http, app schemes; the same checks on update, which keeps the client as it
    # was when refused.
    fine = {
        **OAUTH,
        "CallbackURLs": ["http://localhost:3000/cb", "http://127.0.0.1/cb", "myapp://cb"],
    }
    made = cognito.create_user_pool_client(UserPoolId=app.pool_id, ClientName="ok", **fine)
    client_id = made["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(
            UserPoolId=app.pool_id, ClientId=client_id, **{**fine, "CallbackURLs": []}
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidOAuthFlowException"
    kept = cognito.describe_user_pool_client(UserPoolId=app.pool_id, ClientId=client_id)
    assert kept["UserPoolClient"]["CallbackURLs"] == fine["CallbackURLs"]
