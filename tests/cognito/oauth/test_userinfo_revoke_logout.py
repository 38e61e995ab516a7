"""/oauth2/userInfo, /oauth2/revoke and /logout: their refusals as the docs list them
[facts 1.3, 1.5, 1.6]; nothing changes on a refusal."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.oauth.helpers import (
    CALLBACK,
    PASSWORD,
    SIGNED_OUT,
    App,
    callback_query,
    code_for,
)


def _tokens(app: App, scope: str = "openid email") -> dict[str, str]:
    code = code_for(app, scope=scope)
    answer = app.token(
        grant_type="authorization_code", client_id=app.web_id, code=code, redirect_uri=CALLBACK
    )
    tokens: dict[str, str] = answer.json()
    return tokens


def test_user_info_scopes_and_errors(app: App) -> None:
    url = f"{app.base}/oauth2/userInfo"
    tokens = _tokens(app)
    # POST answers as GET does; `email` limits the claims to the email group.
    posted = httpx.post(url, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert posted.status_code == 200
    assert set(posted.json()) == {"sub", "email", "email_verified", "username"}

    missing = httpx.get(url)
    assert missing.status_code == 400
    assert missing.headers["www-authenticate"] == (
        'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'
    )
    forged = httpx.get(url, headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"] == (
        'error="invalid_token", error_description="Access token is expired, disabled, or '
        'deleted, or the user has globally signed out."'
    )
    # An API sign-in's access token has no openid scope.
    cognito = app.server.client("cognito-idp")
    api = cognito.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.web_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "jane", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    refused = httpx.get(url, headers={"Authorization": f"Bearer {api['AccessToken']}"})
    assert refused.status_code == 400


def test_revoke_errors(app: App) -> None:
    url = f"{app.base}/oauth2/revoke"
    tokens = _tokens(app)
    cases = [
        (httpx.post(url, data={"client_id": app.web_id}), 400, "invalid_request"),
        (
            httpx.post(url, data={"client_id": app.web_id, "token": tokens["access_token"]}),
            400,
            "unsupported_token_type",
        ),
        (httpx.post(url, data={"client_id": "nosuch", "token": "t"}), 401, "invalid_client"),
        (
            httpx.post(url, data={"token": "t"}, auth=(app.m2m_id, "wrong")),
            401,
            "invalid_client",
        ),
    ]
    for answer, status, error in cases:
        assert (answer.status_code, answer.json()["error"]) == (status, error)
    # Refused revocations changed nothing: the refresh token still works.
    still = app.token(
        grant_type="refresh_token", client_id=app.web_id, refresh_token=tokens["refresh_token"]
    )
    assert still.status_code == 200
    # An unknown token is no error [doc REVOKE].
    unknown = httpx.post(url, data={"token": "a.b.c.d.e"}, auth=(app.m2m_id, app.m2m_secret))
    assert (unknown.status_code, unknown.text) == (200, "")

    cognito = app.server.client("cognito-idp")
    cognito.update_user_pool_client(
        UserPoolId=app.pool_id,
        ClientId=app.web_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"],
        EnableTokenRevocation=False,
    )
    off = httpx.post(url, data={"client_id": app.web_id, "token": tokens["refresh_token"]})
    assert (off.status_code, off.json()["error"]) == (400, "invalid_request")


def test_logout_rules(app: App) -> None:
    url = f"{app.base}/logout"
    code_for(app)
    # Refused: an unlisted logout_uri, a redirect_uri without response_type, no client.
    for params in (
        {"client_id": app.web_id, "logout_uri": "https://evil.example.com/"},
        {"client_id": app.web_id, "redirect_uri": CALLBACK},
        {"logout_uri": SIGNED_OUT},
    ):
        refused = app.browser.get(url, params=params)
        assert refused.status_code == 400
        assert "Required String parameter &#x27;redirect_uri&#x27; is not present" in refused.text
    # ... and the session lived on through them.
    assert "code=" in app.authorize().headers["location"]

    # redirect_uri with response_type: signed out, then to the login page with them.
    again = app.browser.get(
        url,
        params={"client_id": app.web_id, "redirect_uri": CALLBACK, "response_type": "code"},
    )
    assert again.status_code == 302
    assert "/login?client_id=" in again.headers["location"]
    assert 'cognito=""' in again.headers["set-cookie"] or "Max-Age=0" in again.headers["set-cookie"]
    assert "/login?" in app.authorize().headers["location"]


def test_user_pools_api_needs_the_admin_scope(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    narrow = _tokens(app, scope="openid email")
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=narrow["access_token"])
    error = excinfo.value.response["Error"]
    # [obs amplify-js#1906]
    assert (error["Code"], error["Message"]) == (
        "NotAuthorizedException",
        "Access Token does not have required scopes",
    )
    # The session goes on: the next code comes without the login page.
    code = callback_query(app.authorize(scope="openid aws.cognito.signin.user.admin"))["code"]
    wide = app.token(
        grant_type="authorization_code", client_id=app.web_id, code=code, redirect_uri=CALLBACK
    ).json()
    assert cognito.get_user(AccessToken=wide["access_token"])["Username"] == "jane"
