"""Managed login in headless Chromium: an OpenID Connect client library (Authlib),
configured from the discovery document, runs the authorization-code flow with PKCE while
the browser fills in the hosted login page; the tokens verify against the JWKS and a
wrong verifier gets invalid_grant. Sign-up in the browser reads its code from the mailbox.
With POOLMAIL_SCREENSHOTS=1 the pages are also saved in docs/screenshots.

The browser runs against the SQLite server only: the pages read the same storage interface
as the API, whose suite covers PostgreSQL (as the console's browser tests do).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session as OAuth2Client
from authlib.integrations.requests_client import OAuthError
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.hosted.helpers import PASSWORD, Site, add_user, mailed_code
from tests.support.server import ServerProcess

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


@pytest.fixture
def site(new_site: Callable[..., Site], app_callback: str) -> Site:
    return new_site(CallbackURLs=[app_callback])


@pytest.fixture
def oidc(site: Site, app_callback: str) -> Iterator[tuple[OAuth2Client, dict[str, Any]]]:
    """A public client of the library, and the pool's discovery document."""
    issuer = f"{site.server.url}/{site.pool_id}"
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    client = OAuth2Client(
        site.client_id,
        redirect_uri=app_callback,
        scope="openid email",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    with client:
        yield client, discovery


def _claims(site: Site, discovery: dict[str, Any], token: str, audience: str | None) -> Any:
    """A token's claims, its signature checked against the keys discovery names."""
    keys = jwt.PyJWKSet.from_dict(httpx.get(discovery["jwks_uri"]).json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=discovery["issuer"],
        audience=audience,
        options={"verify_aud": audience is not None},
    )


def _start(tab: Page, client: OAuth2Client, discovery: dict[str, Any]) -> tuple[str, str]:
    """Open the library's authorization URL; the browser lands on the login page."""
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-7"
    )
    tab.goto(url)
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    return verifier, url


def _log_in(tab: Page, username: str, password: str) -> None:
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()


def test_code_flow_with_pkce_through_the_login_page(
    tab: Page, site: Site, oidc: tuple[OAuth2Client, dict[str, Any]], app_callback: str
) -> None:
    client, discovery = oidc
    add_user(site)
    verifier, _ = _start(tab, client, discovery)
    screenshot(tab, "hosted-login")
    _log_in(tab, "jane", "Wr0ng-Password!")
    expect(tab.get_by_role("alert")).to_have_text("Incorrect username or password.")
    screenshot(tab, "hosted-login-error")
    _log_in(tab, "jane", PASSWORD)
    tab.wait_for_url(app_callback + "?**")
    token = client.fetch_token(
        discovery["token_endpoint"], authorization_response=tab.url, code_verifier=verifier
    )
    claims = _claims(site, discovery, token["id_token"], site.client_id)
    assert claims["cognito:username"] == "jane"
    assert claims["email"] == "jane@example.com"
    assert claims["nonce"] == "n-7"
    access = _claims(site, discovery, token["access_token"], None)
    assert access["client_id"] == site.client_id
    assert set(access["scope"].split()) == {"openid", "email"}

    # The session cookie lets a second authorization skip the form; a wrong verifier
    # then fails the exchange.
    client.token = None
    url, _ = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=generate_token(48)
    )
    tab.goto(url)
    tab.wait_for_url(app_callback + "?**")
    with pytest.raises(OAuthError) as refused:
        client.fetch_token(
            discovery["token_endpoint"],
            authorization_response=tab.url,
            code_verifier=generate_token(48),
        )
    assert refused.value.error == "invalid_grant"


def test_sign_up_in_the_browser_with_the_mailed_code(
    tab: Page,
    site: Site,
    oidc: tuple[OAuth2Client, dict[str, Any]],
    live: ServerProcess,
    app_callback: str,
) -> None:
    client, discovery = oidc
    verifier, _ = _start(tab, client, discovery)
    tab.get_by_role("link", name="Sign up").click()
    expect(tab.get_by_role("heading", name="Sign up")).to_be_visible()
    tab.get_by_label("Username").fill("olga")
    tab.get_by_label("Email").fill("olga@example.com")
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    screenshot(tab, "hosted-signup")
    before = time.time()
    tab.get_by_role("button", name="Sign up").click()
    expect(tab.get_by_role("heading", name="Confirm your account")).to_be_visible()
    code = mailed_code(live, "olga@example.com", before)
    tab.get_by_label("Verification Code").fill(code)
    screenshot(tab, "hosted-confirm")
    tab.get_by_role("button", name="Confirm Account").click()
    tab.wait_for_url(app_callback + "?**")
    token = client.fetch_token(
        discovery["token_endpoint"], authorization_response=tab.url, code_verifier=verifier
    )
    claims = _claims(site, discovery, token["id_token"], site.client_id)
    assert claims["cognito:username"] == "olga"
    assert claims["email_verified"] is True


def test_forgotten_password_reset_in_the_browser_with_the_mailed_code(
    tab: Page,
    site: Site,
    oidc: tuple[OAuth2Client, dict[str, Any]],
    live: ServerProcess,
    app_callback: str,
) -> None:
    client, discovery = oidc
    add_user(site)
    verifier, _ = _start(tab, client, discovery)
    tab.get_by_role("link", name="Forgot your password?").click()
    expect(tab.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    tab.get_by_label("Username").fill("jane")
    before = time.time()
    tab.get_by_role("button", name="Reset my password").click()
    expect(tab.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(tab.get_by_text("We have sent a password reset code by email")).to_be_visible()
    code = mailed_code(live, "jane@example.com", before)
    new_password = "N3w-Horse-Battery!"
    tab.get_by_label("Code").fill(code)
    tab.get_by_label("New Password", exact=True).fill(new_password)
    tab.get_by_label("Enter New Password Again").fill(new_password)
    tab.get_by_role("button", name="Change Password").click()
    # Back on the login page, the user name kept: the old password no longer signs in.
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab.get_by_label("Username")).to_have_value("jane")
    _log_in(tab, "jane", PASSWORD)
    expect(tab.get_by_role("alert")).to_have_text("Incorrect username or password.")
    _log_in(tab, "jane", new_password)
    tab.wait_for_url(app_callback + "?**")
    token = client.fetch_token(
        discovery["token_endpoint"], authorization_response=tab.url, code_verifier=verifier
    )
    claims = _claims(site, discovery, token["id_token"], site.client_id)
    assert claims["cognito:username"] == "jane"
    assert claims["nonce"] == "n-7"


@pytest.mark.skipif(
    os.environ.get("POOLMAIL_SCREENSHOTS") != "1", reason="refreshes docs/screenshots only"
)
def test_screenshots_of_the_mfa_and_password_reset_pages(
    tab: Page, site: Site, oidc: tuple[OAuth2Client, dict[str, Any]], live: ServerProcess
) -> None:
    client, discovery = oidc
    live.client("cognito-idp").set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    add_user(site)
    _start(tab, client, discovery)
    tab.get_by_role("link", name="Forgot your password?").click()
    tab.get_by_label("Username").fill("jane")
    screenshot(tab, "hosted-forgot-password")
    tab.get_by_role("button", name="Reset my password").click()
    expect(tab.get_by_role("heading", name="Reset your password")).to_be_visible()
    screenshot(tab, "hosted-confirm-forgot-password")
    _start(tab, client, discovery)
    _log_in(tab, "jane", PASSWORD)
    expect(tab.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    tab.get_by_label("Authenticator app").check()
    tab.get_by_role("button", name="Continue").click()
    expect(tab.get_by_text("Secret key", exact=True)).to_be_visible()
    screenshot(tab, "hosted-mfa-setup")
