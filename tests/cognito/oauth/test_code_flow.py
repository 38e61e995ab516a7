"""The authorization-code flow with PKCE, driven by an OpenID Connect client library
(Authlib) configured from the discovery document, through the hosted login page; the
tokens verify against the JWKS; userInfo, refresh and revoke; the code's single use."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.requests_client import OAuthError as AuthlibError

from tests.cognito.oauth.helpers import (
    API,
    CALLBACK,
    App,
    callback_query,
    code_for,
    log_in,
    pkce,
    verified,
)


def _discovery(app: App) -> dict[str, str]:
    document: dict[str, str] = httpx.get(f"{app.issuer}/.well-known/openid-configuration").json()
    return document


def test_authlib_completes_the_code_flow_with_pkce(app: App) -> None:
    discovery = _discovery(app)
    client = OAuth2Session(
        app.web_id,
        redirect_uri=CALLBACK,
        scope="openid email profile",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    with client:
        _code_flow(app, client, discovery)


def _code_flow(app: App, client: OAuth2Session, discovery: dict[str, str]) -> None:
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-42"
    )
    done = log_in(app, app.browser.get(url))
    assert callback_query(done)["state"] == state
    # The login page started a managed login session.
    assert "cognito=" in done.headers["set-cookie"]

    token = client.fetch_token(
        discovery["token_endpoint"],
        authorization_response=done.headers["location"],
        code_verifier=verifier,
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert set(token) >= {"access_token", "id_token", "refresh_token"}

    id_claims = verified(app, token["id_token"], audience=app.web_id)
    assert id_claims["nonce"] == "n-42"
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == "jane"
    assert id_claims["email"] == "jane@example.com"
    assert id_claims["email_verified"] is True
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    access = verified(app, token["access_token"])
    assert access["scope"] == "openid email profile"
    assert access["client_id"] == app.web_id
    assert access["username"] == "jane"
    assert access["version"] == 2
    assert access["origin_jti"] == id_claims["origin_jti"]
    assert access["auth_time"] == id_claims["auth_time"]

    # userInfo: *_verified as strings [doc USERINFO]; `profile` brings name.
    info = client.get(discovery["userinfo_endpoint"])
    assert info.status_code == 200
    assert info.json() == {
        "sub": id_claims["sub"],
        "email_verified": "true",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "username": "jane",
    }

    # Refresh: new ID and access tokens of the same sign-in, no new refresh token.
    refreshed = client.refresh_token(
        discovery["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert "refresh_token" not in refreshed or refreshed["refresh_token"] == token["refresh_token"]
    again = verified(app, refreshed["access_token"])
    assert again["scope"] == "openid email profile"
    assert again["origin_jti"] == access["origin_jti"]

    # Revoke: the refresh token and every token of its sign-in.
    revoked = httpx.post(
        f"{app.base}/oauth2/revoke", data={"token": token["refresh_token"], "client_id": app.web_id}
    )
    assert (revoked.status_code, revoked.text) == (200, "")
    refused = app.token(
        grant_type="refresh_token", client_id=app.web_id, refresh_token=token["refresh_token"]
    )
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})
    gone = httpx.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
    )
    assert gone.status_code == 401
    assert gone.headers["www-authenticate"].startswith('error="invalid_token"')


def test_wrong_verifier_redirect_and_reuse_are_refused(app: App) -> None:
    verifier, challenge = pkce()
    code = code_for(app, code_challenge=challenge, code_challenge_method="S256", scope="openid")
    form = {"grant_type": "authorization_code", "client_id": app.web_id, "code": code}

    # Never the verifier itself (which may end in "x" already).
    other_end = "y" if verifier.endswith("x") else "x"
    wrong = app.token(**form, redirect_uri=CALLBACK, code_verifier=verifier[:-1] + other_end)
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    missing = app.token(**form, redirect_uri=CALLBACK)
    assert missing.json() == {"error": "invalid_grant"}
    # The authorize request named a redirect URI, so the exchange must too.
    unnamed = app.token(**form, code_verifier=verifier)
    assert unnamed.json() == {"error": "invalid_request"}
    elsewhere = app.token(**form, redirect_uri=CALLBACK + "/", code_verifier=verifier)
    assert elsewhere.json() == {
        "error": "unauthorized_client",
        "error_description": "invalid_redirect",
    }
    assert elsewhere.headers["content-type"] == "application/json;charset=UTF-8"

    # A refused exchange leaves the code as it was; once used, it is gone.
    good = app.token(**form, redirect_uri=CALLBACK, code_verifier=verifier)
    assert good.status_code == 200, good.text
    assert set(good.json()) == {
        "access_token",
        "id_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    reused = app.token(**form, redirect_uri=CALLBACK, code_verifier=verifier)
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})


def test_codes_live_five_minutes(app: App) -> None:
    code = code_for(app, scope="openid")
    clock = f"{app.server.url}/_poolmail/clock"
    httpx.post(clock, json={"advance_seconds": 301}).raise_for_status()
    late = app.token(
        grant_type="authorization_code", client_id=app.web_id, code=code, redirect_uri=CALLBACK
    )
    assert late.json() == {"error": "invalid_grant"}


def test_session_cookie_prompt_and_logout(app: App) -> None:
    silent = app.authorize(prompt="none")
    assert callback_query(silent) == {"state": "st-7", "error": "login_required"}
    code_for(app)

    # While the session lives, authorize answers with a code at once.
    resumed = callback_query(app.authorize(scope=f"openid {API}/read"))
    assert set(resumed) == {"code", "state"}
    token = app.token(
        grant_type="authorization_code",
        client_id=app.web_id,
        code=resumed["code"],
        redirect_uri=CALLBACK,
    ).json()
    assert verified(app, token["access_token"])["scope"] == f"openid {API}/read"
    assert set(callback_query(app.authorize(prompt="none"))) == {"code", "state"}
    # prompt=login asks again.
    assert "/login?" in app.authorize(prompt="login").headers["location"]

    out = app.browser.get(
        f"{app.base}/logout",
        params={"client_id": app.web_id, "logout_uri": "https://app.example.com/signed-out"},
    )
    assert (out.status_code, out.headers["location"]) == (302, "https://app.example.com/signed-out")
    assert "/login?" in app.authorize().headers["location"]


def test_implicit_flow_puts_tokens_in_the_fragment(app: App) -> None:
    done = log_in(app, app.authorize(response_type="token", scope="openid email", nonce="nn"))
    location = done.headers["location"]
    assert location.startswith(CALLBACK + "#id_token=")
    fragment = dict(pair.split("=", 1) for pair in location.split("#", 1)[1].split("&"))
    assert list(fragment) == ["id_token", "access_token", "token_type", "expires_in", "state"]
    assert (fragment["token_type"], fragment["expires_in"], fragment["state"]) == (
        "bearer",
        "3600",
        "st-7",
    )
    assert verified(app, fragment["id_token"], audience=app.web_id)["nonce"] == "nn"
    # Without openid, no ID token [doc AUTH].
    bare = callback_query_fragment(
        app.authorize(response_type="token", scope=f"{API}/read", resource=API)
    )
    assert "id_token" not in bare
    access = verified(app, bare["access_token"], audience=API)
    # `resource` binds the access token to the API [doc TOKEN].
    assert (access["scope"], access["aud"]) == (f"{API}/read", API)


def callback_query_fragment(response: httpx.Response) -> dict[str, str]:
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "#"), location
    return dict(pair.split("=", 1) for pair in location.split("#", 1)[1].split("&"))


def test_authlib_sees_token_errors(app: App) -> None:
    client = OAuth2Session(app.web_id, redirect_uri=CALLBACK, token_endpoint_auth_method="none")
    with client, pytest.raises(AuthlibError) as excinfo:
        client.fetch_token(f"{app.base}/oauth2/token", code="not-a-code")
    assert excinfo.value.error == "invalid_grant"
