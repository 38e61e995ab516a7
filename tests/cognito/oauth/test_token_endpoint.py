"""/oauth2/token beyond the code: client_credentials with the resource server's scopes,
client authentication by Basic header and by body with either of a client's secrets,
and the endpoint's errors [doc TOKEN, facts 1.4]."""

from __future__ import annotations

import httpx

from tests.cognito.oauth.helpers import API, App, verified


def test_client_credentials_carry_the_resource_servers_scopes(app: App) -> None:
    basic = app.token(auth=(app.m2m_id, app.m2m_secret), grant_type="client_credentials")
    assert basic.status_code == 200, basic.text
    assert basic.headers["access-control-allow-origin"] == "*"
    body = basic.json()
    assert list(body) == ["access_token", "expires_in", "token_type"]
    assert (body["expires_in"], body["token_type"]) == (3600, "Bearer")
    claims = verified(app, body["access_token"])
    assert claims["scope"] == f"{API}/read {API}/write"
    assert (claims["sub"], claims["client_id"], claims["token_use"]) == (
        app.m2m_id,
        app.m2m_id,
        "access",
    )
    assert "username" not in claims

    # In the body, asking for one scope; a scope the client lacks is ignored.
    posted = app.token(
        grant_type="client_credentials",
        client_id=app.m2m_id,
        client_secret=app.m2m_secret,
        scope=f"{API}/write {API}/delete",
    )
    assert verified(app, posted.json()["access_token"])["scope"] == f"{API}/write"


def test_both_secrets_of_a_rotation_authenticate(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    added = cognito.add_user_pool_client_secret(UserPoolId=app.pool_id, ClientId=app.m2m_id)
    second = added["ClientSecretDescriptor"]["ClientSecretValue"]
    for secret in (app.m2m_secret, second):
        answer = app.token(auth=(app.m2m_id, secret), grant_type="client_credentials")
        assert answer.status_code == 200, answer.text
    wrong = app.token(auth=(app.m2m_id, "x" * 52), grant_type="client_credentials")
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})
    assert wrong.headers["content-type"] == "application/json;charset=UTF-8"


def test_token_endpoint_errors(app: App) -> None:
    m2m = (app.m2m_id, app.m2m_secret)
    cases: list[tuple[httpx.Response, str]] = [
        (app.token(auth=m2m), "invalid_request"),
        (app.token(auth=m2m, grant_type="password"), "unsupported_grant_type"),
        # A confidential client without its secret; a public client with one.
        (app.token(grant_type="client_credentials", client_id=app.m2m_id), "invalid_client"),
        (
            app.token(grant_type="client_credentials", client_id=app.web_id, client_secret="s"),
            "invalid_client",
        ),
        (app.token(grant_type="client_credentials", client_id="nosuch"), "invalid_client"),
        # The web client has no secret, so it may not use client_credentials.
        (app.token(grant_type="client_credentials", client_id=app.web_id), "invalid_client"),
        (app.token(grant_type="authorization_code", client_id=app.web_id), "invalid_request"),
        (
            app.token(auth=m2m, grant_type="authorization_code", code="c", redirect_uri="x"),
            "unauthorized_client",
        ),
        (app.token(auth=m2m, grant_type="refresh_token"), "invalid_request"),
        (
            app.token(auth=m2m, grant_type="refresh_token", refresh_token="a.b.c.d.e"),
            "invalid_grant",
        ),
    ]
    for answer, error in cases:
        assert (answer.status_code, answer.json()["error"]) == (400, error), answer.request.content

    json_body = httpx.post(f"{app.base}/oauth2/token", json={"grant_type": "client_credentials"})
    assert (json_body.status_code, json_body.json()) == (400, {"error": "invalid_request"})
    get = httpx.get(f"{app.base}/oauth2/token")
    assert (get.status_code, get.headers["allow"]) == (405, "POST")
    preflight = httpx.options(
        f"{app.base}/oauth2/token",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_api_clients_without_oauth_get_invalid_grant(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    client = cognito.create_user_pool_client(
        UserPoolId=app.pool_id,
        ClientName="api-made",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/read"],
    )["UserPoolClient"]
    answer = app.token(
        auth=(client["ClientId"], client["ClientSecret"]), grant_type="client_credentials"
    )
    # [obs aws-sdk-js-v3#7158]
    assert answer.json() == {"error": "invalid_grant"}
